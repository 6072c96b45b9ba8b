"""Server-side sessions over real HTTP: sign-out, an admin and idleness end them for good."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from hooksmith.settings import Settings
from tests.api.client import Api
from tests.api.conftest import PASSWORD, ApiFactory, World
from tests.api.helpers import definition
from tests.server import serve_app

ME = "/api/v1/me"


async def _stolen(api: ApiFactory, original: Api) -> Api:
    """A second client holding copies of `original`'s cookies, as a thief would."""
    thief = await api()
    for cookie in original.http.cookie_jar:
        thief.http.cookie_jar.update_cookies({cookie.key: cookie.value})
    return thief


async def test_after_sign_out_the_old_cookie_answers_401(api: ApiFactory, world: World) -> None:
    client = await api(login=world.acme.email)
    thief = await _stolen(api, client)
    assert (await thief.get(ME)).status == 200

    assert (await client.delete("/api/v1/session")).status == 204

    assert (await thief.get(ME)).status == 401
    created = await thief.post("/api/v1/webhooks", definition())
    assert created.status == 401
    assert "session has ended" in created.body["error"]["message"]


async def test_each_sign_in_is_a_session_of_its_own(api: ApiFactory, world: World) -> None:
    laptop = await api(login=world.acme.email)
    phone = await api(login=world.acme.email)
    assert (await laptop.delete("/api/v1/session")).status == 204
    assert (await phone.get(ME)).status == 200


async def test_an_admin_ends_a_users_sessions(api: ApiFactory, world: World) -> None:
    ana = await api(login=world.acme.email)
    bo = await api(login=world.bolt.email)
    admin = await api(login=world.north_admin.email)
    path = f"/api/v1/users/{world.acme.user_id}/sessions"

    assert (await (await api(login=world.cobalt.email)).delete(path)).status == 403
    foreign = await (await api(login=world.south_admin.email)).delete(path)
    assert foreign.status == 404
    assert (await ana.get(ME)).status == 200

    assert (await admin.delete(path)).status == 204
    assert (await ana.get(ME)).status == 401
    assert (await bo.get(ME)).status == 200
    assert (await admin.get(ME)).status == 200
    assert (await admin.delete("/api/v1/users/999999/sessions")).status == 404

    again = await api()
    assert (await again.login(world.acme.email, PASSWORD)).status == 200
    assert (await again.get(ME)).status == 200


async def test_an_idle_session_expires_and_a_used_one_does_not(
    settings: Settings, world: World
) -> None:
    idle = settings.model_copy(update={"session_idle_seconds": 2.0})
    with serve_app(idle) as server:
        used, unused = Api.http(), Api.http()
        async with used, unused:
            active = Api(used, server.base_url)
            resting = Api(unused, server.base_url)
            assert (await active.login(world.acme.email, PASSWORD)).status == 200
            assert (await resting.login(world.bolt.email, PASSWORD)).status == 200
            stop = time.monotonic() + 3.0
            while time.monotonic() < stop:
                assert (await active.get(ME)).status == 200
                await asyncio.sleep(0.2)  # a person clicking now and then
            assert (await resting.get(ME)).status == 401
            assert (await active.get(ME)).status == 200


async def test_another_process_sees_an_ended_session_within_its_cache_window(
    settings: Settings, world: World
) -> None:
    with serve_app(settings) as first, serve_app(settings) as second:
        async with Api.http() as http:
            here = Api(http, first.base_url)
            assert (await here.login(world.acme.email, PASSWORD)).status == 200
            cookies = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)
            async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as bare:
                there = Api(bare, second.base_url)
                old = {"headers": {"Cookie": cookies}}
                assert (await there.get(ME, **old)).status == 200  # now in its cache
                assert (await here.delete("/api/v1/session")).status == 204
                deadline = time.monotonic() + settings.session_cache_seconds + 5
                while (await there.get(ME, **old)).status == 200:
                    assert time.monotonic() < deadline, "the other process kept the session"
                    await asyncio.sleep(0.1)
                assert (await there.get(ME, **old)).status == 401
