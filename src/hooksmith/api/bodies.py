"""Requests bounded before they are read: body size (413), JSON nesting depth and NUL in the
URL (422).

A pure ASGI middleware in front of every route: a `Content-Length` past the limit is answered
at once, a chunked body is read only up to the limit, and JSON nested deeper than the limit is
refused before any parser recurses into it. Routes anyone may call without signing in (sign-in,
the login form, the echo endpoint) get a lower limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from hooksmith.api.errors import error_response
from hooksmith.engine import too_deep

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = ("/api/v1/session", "/login", "/echo")


@dataclass(frozen=True)
class BodyLimits:
    """The largest body a signed-in route and an open route accept, and JSON's depth limit."""

    max_bytes: int = 1024 * 1024
    max_open_bytes: int = 64 * 1024
    max_json_depth: int = 64

    def for_path(self, path: str) -> int:
        return self.max_open_bytes if path.startswith(OPEN_PATHS) else self.max_bytes


class BodyTooLarge(Exception):
    """The body passed the limit while it was being read."""


class BoundedBodies:
    """ASGI middleware that reads each request body within `BodyLimits`, then replays it."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope["query_string"] or "\x00" in scope["path"]:
            # No stored name, id or search term holds NUL; PostgreSQL refuses it in a query.
            message = "url: NUL (%00) is not allowed in a path or query"
            await _refuse(scope, receive, send, 422, "invalid_input", message, "url")
            return
        length, chunked, is_json = _body_headers(scope["headers"])
        if length is None and not chunked:
            await self.app(scope, receive, send)  # no body at all
            return
        limit = self.limits.for_path(scope["path"])
        try:
            if length is not None and length > limit:
                raise BodyTooLarge
            body = await read_body(receive, limit)
        except BodyTooLarge:
            await _refuse(scope, receive, send, 413, "too_large", _too_large(limit), "body")
            return
        if is_json and too_deep(body, self.limits.max_json_depth):
            message = f"body: JSON nested deeper than {self.limits.max_json_depth} levels"
            await _refuse(scope, receive, send, 422, "invalid_input", message, "body")
            return
        await self.app(scope, _replay(body, receive), send)


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, or `BodyTooLarge` as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; the route sees an empty body and answers nothing
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _body_headers(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool, bool]:
    """Content-Length (None when absent), whether the body is chunked, whether it is JSON."""
    length: int | None = None
    chunked = is_json = False
    for name, value in headers:
        if name == b"content-length":
            length = int(value) if value.isdigit() and len(value) < 19 else 1 << 62
        elif name == b"transfer-encoding":
            chunked = True
        elif name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            is_json = media == b"application/json" or media.endswith(b"+json")
    return length, chunked, is_json


def _too_large(limit: int) -> str:
    return f"body: larger than {limit:,} bytes, the limit of this route; send less"


async def _refuse(
    scope: Scope, receive: Receive, send: Send, status: int, kind: str, message: str, field: str
) -> None:
    response = error_response(status, kind, message, field, Connection="close")
    await response(scope, receive, send)
