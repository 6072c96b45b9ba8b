"""Security headers on every answer: pages, API, echo and errors; HSTS only behind https."""

from __future__ import annotations

import aiohttp
import pytest

from hooksmith.settings import Settings
from tests.api.conftest import ApiFactory, World
from tests.server import Server, serve_app

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


async def _headers(url: str, method: str = "GET") -> dict[str, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, json={} if method == "POST" else None) as response,
    ):
        await response.read()
        return dict(response.headers)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/me"), ("GET", "/api/v1/webhooks/1"), ("POST", "/echo"), ("GET", "/nope")],
)
async def test_every_answer_carries_the_headers(server: Server, method: str, path: str) -> None:
    headers = await _headers(server.url(path), method)
    for name, value in EXPECTED.items():
        assert headers[name] == value
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "Strict-Transport-Security" not in headers


async def test_https_public_url_adds_hsts_and_secure_cookies(
    settings: Settings, world: World, api: ApiFactory
) -> None:
    secure = settings.model_copy(update={"public_url": "https://hooks.example.com"})
    with serve_app(secure) as running:
        headers = await _headers(running.url("/api/v1/me"))
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        async with aiohttp.ClientSession() as http:
            reply = await http.post(
                running.url("/api/v1/session"),
                json={"email": "ana@acme.test", "password": "correct horse battery staple"},
            )
            assert reply.status == 200
            cookies = reply.headers.getall("Set-Cookie")
            reply.release()
    assert cookies
    assert all("Secure" in cookie for cookie in cookies)
