"""The built-in echo endpoint: answers with the request it got, for the demo webhook and tests."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

router = APIRouter(tags=["echo"], include_in_schema=False)

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
HIDDEN_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


@router.api_route("/echo", methods=METHODS)
@router.api_route("/echo/{path:path}", methods=METHODS)
async def echo(request: Request) -> dict[str, Any]:
    """The method, path, query, headers (minus credentials) and parsed JSON body received."""
    raw = await request.body()
    body: Any = None
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
    return {
        "method": request.method,
        "path": request.url.path,
        "query": dict(request.query_params),
        "headers": {
            key: value for key, value in request.headers.items() if key not in HIDDEN_HEADERS
        },
        "body": body,
    }
