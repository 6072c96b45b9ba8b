"""The loopback upstream of the browser tests: tests/upstream.py's routes plus a small shop API
whose order answer is nested JSON (for mapping and click-to-map)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.upstream import Upstream, build_app

SHOP_TOKEN = "s3cret-shop-token"


def shop_app(upstream: Upstream) -> web.Application:
    """`/shop/{env}/orders/{order}`: the order, echoing what the webhook sent."""

    async def order(request: web.Request) -> web.Response:
        raw = await request.read()
        upstream.received.append(
            {
                "method": request.method,
                "path": request.path,
                "query": list(request.query.items()),
                "headers": list(request.headers.items()),
                "body": raw.decode("utf-8", "replace"),
            }
        )
        try:
            sent: Any = json.loads(raw) if raw else None
        except ValueError:
            sent = None
        answer = {
            "order": {
                "id": request.match_info["order"],
                "env": request.match_info["env"],
                "lang": request.query.get("lang"),
                "status": "shipped",
                "items": [{"name": "tea", "qty": 2}, {"name": "cake", "qty": 1}],
                "customer": sent.get("customer") if isinstance(sent, dict) else None,
            },
            "authorized": request.headers.get("Authorization") == f"Bearer {SHOP_TOKEN}",
            "trace": request.headers.get("X-Trace"),
        }
        return web.json_response(answer)

    app = build_app(upstream)
    app.router.add_route("*", "/shop/{env}/orders/{order}", order)
    return app
