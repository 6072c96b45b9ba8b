"""The runtime API's hot path: `POST /api/v1/webhooks/{id}/execute` answered before the router.

The FastAPI route in `routes/runs.py` stays the documented form (OpenAPI at /docs) and takes
every request this module passes on; this ASGI middleware answers the common case itself, with
the same caller check (`get_actor`), body parsing, service call and error shape, but without the
router's matching over every route, dependency solving and response classes. A request it does
not expect (a form body, an id past 18 digits, a root path) goes to the app unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hooksmith.api.deps import FORM_TYPES, get_actor
from hooksmith.api.errors import KNOWN, known_error
from hooksmith.api.routes.runs import conversation_of
from hooksmith.api.traces import trace_of
from hooksmith.deps import get_runtime
from hooksmith.engine import Result
from hooksmith.service import runs
from hooksmith.service.errors import unavailable as service_unavailable
from hooksmith.service.runs import PendingRun
from hooksmith.store import MAX_ID

JSON_TYPE: Final = (b"content-type", b"application/json")
_FORM_TYPES: Final = tuple(kind.encode() for kind in FORM_TYPES)
_serialize = Result.__pydantic_serializer__.to_json


class ExecuteShortcut:
    """Answers `POST {prefix}/webhooks/{id}/execute`; passes every other request to `app`."""

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self.pattern = re.compile(re.escape(prefix) + r"/webhooks/([0-9]{1,18})/execute")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = None
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            match = self.pattern.fullmatch(scope["path"])
        if match is None or not 0 < int(match[1]) <= MAX_ID or _is_form(scope):
            await self.app(scope, receive, send)  # the route answers these (422 for the id)
            return
        request = Request(scope, receive)
        try:
            body = await request.body()  # before the caller, as the route does
            runtime = await get_runtime(request)
            actor = await get_actor(request, runtime)
            answer = await runs.execute(
                runtime,
                actor,
                int(match[1]),
                conversation_of(body, runtime.settings.max_json_depth),
                callback_url=request.query_params.get("callback_url"),
                trace=trace_of(scope["headers"]),
            )
        except KNOWN as error:
            await (await known_error(request, error))(scope, receive, send)
            return
        except Exception as error:
            unavailable = service_unavailable(error)
            if unavailable is None:
                raise
            await (await known_error(request, unavailable))(scope, receive, send)
            return
        if isinstance(answer, PendingRun):
            pending = {"run_id": answer.run_id, "status": answer.status}
            status, content = 202, json.dumps(pending, separators=(",", ":")).encode()
        else:
            status, content = 200, _serialize(answer)
        headers = [(b"content-length", b"%d" % len(content)), JSON_TYPE]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def _is_form(scope: Scope) -> bool:
    """Whether the body is a form (its CSRF field is read by the route's form parser)."""
    for key, value in scope["headers"]:
        if key == b"content-type":
            return bool(value.lower().startswith(_FORM_TYPES))
    return False
