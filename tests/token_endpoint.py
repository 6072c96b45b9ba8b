"""A small real OAuth2 token endpoint and a resource API that accepts only its tokens, served
on 127.0.0.1 in a thread (as tests/upstream.py), for the OAuth2 client credentials tests.

Routes: POST /token (client credentials grant: the client by HTTP Basic or in the body),
/api (200 with the bearer token's number while the token is issued and not revoked, else 401).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web

from tests.upstream import Upstream, serve

CLIENT_ID = "hooksmith client"
CLIENT_SECRET = "cl1ent-s3cret:with/odd+chars"


@dataclass
class TokenEndpoint:
    """What the token endpoint does (set by the test) and what it saw."""

    base_url: str = ""
    expires_in: float | None = 3600
    failure: tuple[int, str] | None = None  # answer this status and JSON text instead
    delay: float = 0.0  # before answering a token request
    requests: list[dict[str, Any]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    api_calls: list[str] = field(default_factory=list)  # the bearer token of each /api call

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _client(request: web.Request, form: dict[str, str]) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        pair = base64.b64decode(header.removeprefix("Basic ")).decode("utf-8")
        user, _, password = pair.partition(":")
        return unquote_plus(user), unquote_plus(password)  # RFC 6749 2.3.1: form-encoded
    if "client_id" in form:
        return form["client_id"], form.get("client_secret", "")
    return None


def token_app(endpoint: TokenEndpoint) -> Callable[[Upstream], web.Application]:
    def build(upstream: Upstream) -> web.Application:
        async def token(request: web.Request) -> web.Response:
            form = {key: str(value) for key, value in (await request.post()).items()}
            endpoint.requests.append(
                {"form": form, "authorization": request.headers.get("Authorization")}
            )
            if endpoint.delay:
                await asyncio.sleep(endpoint.delay)
            if endpoint.failure is not None:
                status, text = endpoint.failure
                return web.Response(status=status, text=text, content_type="application/json")
            if form.get("grant_type") != "client_credentials":
                return web.json_response({"error": "unsupported_grant_type"}, status=400)
            if _client(request, form) != (CLIENT_ID, CLIENT_SECRET):
                return web.json_response({"error": "invalid_client"}, status=401)
            value = f"tok{len(endpoint.issued) + 1}-{secrets.token_hex(12)}"
            endpoint.issued.append(value)
            answer: dict[str, Any] = {"access_token": value, "token_type": "Bearer"}
            if endpoint.expires_in is not None:
                answer["expires_in"] = endpoint.expires_in
            return web.json_response(answer)

        async def api(request: web.Request) -> web.Response:
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
            endpoint.api_calls.append(bearer)
            if bearer not in endpoint.issued or bearer in endpoint.revoked:
                return web.json_response({"error": "invalid_token"}, status=401)
            number = endpoint.issued.index(bearer) + 1
            # The token echoed back: a result must never show it.
            return web.json_response({"token_number": number, "authorization": bearer})

        app = web.Application()
        app.router.add_post("/token", token)
        app.router.add_route("*", "/api", api)
        return app

    return build


@contextmanager
def serve_token_endpoint() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint()
    with serve(token_app(endpoint)) as running:
        endpoint.base_url = running.base_url
        yield endpoint


def oauth2_auth(endpoint: TokenEndpoint, **overrides: Any) -> dict[str, Any]:
    return {
        "type": "oauth2",
        "token_url": endpoint.url("/token"),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **overrides,
    }
