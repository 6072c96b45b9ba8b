"""Change notices across server processes: on PostgreSQL an edit or a token revocation made on
one server is seen by another within moments (LISTEN/NOTIFY), not after the cache window."""

from __future__ import annotations

import time

import aiohttp
import pytest

from hooksmith.settings import Settings
from tests.api.client import Api
from tests.api.conftest import PASSWORD, ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.server import Server, serve_app
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    if not settings.resolved_database_url().startswith("postgresql"):
        pytest.skip("change notices travel through PostgreSQL; SQLite has one process")
    # Nothing expires while the test runs: only a notice can tell the other server.
    return settings.model_copy(
        update={"webhook_cache_seconds": 600.0, "session_cache_seconds": 600.0}
    )


async def _seen_within_a_second(check: Api, path: str, expect_url: str | None) -> None:
    started = time.monotonic()

    async def seen() -> bool:
        reply = await check.post(f"{path}/execute", {})
        if expect_url is None:
            return reply.status == 401
        return bool(reply.body["request"]["url"].endswith(expect_url))

    await eventually(seen, timeout=5, step=0.01)
    assert time.monotonic() - started < 1.0


async def test_an_edit_and_a_revocation_reach_the_other_server_at_once(
    server: Server, settings: Settings, api: ApiFactory, world: World, upstream: Upstream
) -> None:
    first = await api(token=world.acme.token)
    admin = await api(login=world.north_admin.email)
    created = await first.post(WEBHOOKS, definition(upstream.url("/echo/before")))
    hook = f"{WEBHOOKS}/{created.body['id']}"
    with serve_app(settings) as other_server:
        async with aiohttp.ClientSession() as http:
            other = Api(http, other_server.base_url, token=world.acme.token)
            warm = await other.post(f"{hook}/execute", {})
            assert warm.body["request"]["url"].endswith("/echo/before")

            moved = definition(upstream.url("/echo/after"), revision=1)
            assert (await first.put(hook, moved)).status == 200
            await _seen_within_a_second(other, hook, "/echo/after")

            assert (await admin.delete(f"/api/v1/tokens/{world.acme.token_id}")).status == 204
            await _seen_within_a_second(other, hook, None)


async def test_a_sign_out_reaches_the_other_server_at_once(
    server: Server, settings: Settings, world: World
) -> None:
    with serve_app(settings) as other_server:
        async with Api.http() as http:
            here = Api(http, server.base_url)
            assert (await here.login(world.acme.email, PASSWORD)).status == 200
            cookies = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)
            async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as bare:
                there = Api(bare, other_server.base_url)
                old = {"headers": {"Cookie": cookies}}
                assert (await there.get("/api/v1/me", **old)).status == 200  # now cached there
                assert (await here.delete("/api/v1/session")).status == 204
                started = time.monotonic()

                async def refused() -> bool:
                    return (await there.get("/api/v1/me", **old)).status == 401

                await eventually(refused, timeout=5, step=0.01)
                assert time.monotonic() - started < 1.0


async def test_a_rotated_company_secret_reaches_the_other_server_at_once(
    server: Server, settings: Settings, api: ApiFactory, world: World, upstream: Upstream
) -> None:
    first = await api(token=world.acme.token)
    secrets = "/api/v1/companies/acme/secrets/API_KEY"
    put = await first.put(secrets, {"value": "key-before-rotation", "allowed_hosts": ["127.0.0.1"]})
    assert put.status == 200, put.text
    hook = definition(
        upstream.url("/echo/keyed"),
        method="GET",
        body=None,
        headers=[{"key": "X-Custom", "value": "{{ secrets.API_KEY }}"}],
    )
    path = f"{WEBHOOKS}/{(await first.post(WEBHOOKS, hook)).body['id']}"

    def sent_key() -> str | None:
        headers = upstream.received[-1]["headers"]
        return next((v for k, v in headers if k.lower() == "x-custom"), None)

    with serve_app(settings) as other_server:
        async with aiohttp.ClientSession() as http:
            other = Api(http, other_server.base_url, token=world.acme.token)
            assert (await other.post(f"{path}/execute", {})).body["ok"] is True  # now cached
            assert sent_key() == "key-before-rotation"

            rotated = {"value": "key-after-rotation", "allowed_hosts": ["127.0.0.1"]}
            assert (await first.put(secrets, rotated)).status == 200
            started = time.monotonic()

            async def rotated_there() -> bool:
                await other.post(f"{path}/execute", {})
                return sent_key() == "key-after-rotation"

            await eventually(rotated_there, timeout=5, step=0.01)
            assert time.monotonic() - started < 1.0
