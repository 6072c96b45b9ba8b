"""Security headers on every answer of the server: pages, API, echo and static files.

A strict Content-Security-Policy (scripts and styles from this origin only; the builder's
scripts are modules, its data blocks are JSON), no framing, no MIME sniffing, referrers kept
to this origin, and HSTS when the server's public URL is https. The OpenAPI pages (`/docs`,
`/redoc`) load their viewer from its CDN, so they get the same headers without the CSP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
OPENAPI_PAGES = ("/docs", "/redoc")
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """ASGI middleware that adds the headers above to every response it passes on."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        common = [
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        if https:
            common.append((b"strict-transport-security", HSTS.encode()))
        self.plain = common
        self.strict = [(b"content-security-policy", CSP.encode()), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = self.plain if scope["path"].startswith(OPENAPI_PAGES) else self.strict

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
