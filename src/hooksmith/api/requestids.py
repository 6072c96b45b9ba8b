"""Every HTTP request gets an id: the caller's `X-Request-Id` when it is sane, else a new one.

The id is sent back in the `X-Request-Id` response header and is on every log line written
while the request is served (`hooksmith.logs.REQUEST_ID`), so an operator can find the lines of
one request, and a bot platform can quote its own id. A sane id is 1 to 128 characters of
letters, digits and `. _ : + = / @ -`; anything else (spaces, quotes, control characters, too
long) is replaced, never refused. A pure ASGI middleware, outside every other one, so even an
answer to an unexpected error carries the id.
"""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from hooksmith.logs import REQUEST_ID

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER: Final = b"x-request-id"
_SANE: Final = re.compile(rb"[A-Za-z0-9._:+=/@-]{1,128}")


class RequestIds:
    """ASGI middleware: the request's id in the log context and in the response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope["headers"]:
            if name == HEADER:
                given = value
                break
        request_id = given if given is not None and _SANE.fullmatch(given) else new_request_id()
        header = (HEADER, request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = REQUEST_ID.set(request_id.decode("ascii"))
        await self.app(scope, receive, send_with_id)
        # Reset only on the way out without an error: the server logs an error after this
        # returns, in this request's task, and that line should carry the id as well.
        REQUEST_ID.reset(token)


def new_request_id() -> bytes:
    """32 random hex digits. An id needs to be unique, not secret: Python's generator (seeded
    from the system's and again in every forked process) is a quarter of `os.urandom`'s cost."""
    return b"%032x" % random.getrandbits(128)
