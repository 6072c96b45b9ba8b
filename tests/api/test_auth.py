"""Sessions for people (cookie + CSRF), bearer tokens for machines, and the admin routes."""

from __future__ import annotations

import aiohttp

from tests.api.client import Api
from tests.api.conftest import PASSWORD, ApiFactory, World
from tests.api.helpers import definition
from tests.server import Server

WEBHOOKS = "/api/v1/webhooks"


async def test_login_sets_a_signed_http_only_session_cookie(api: ApiFactory, world: World) -> None:
    client = await api()
    reply = await client.login(world.acme.email, PASSWORD)
    assert reply.status == 200
    assert reply.body["user"]["company"] == "acme"
    cookies = {cookie.key: cookie for cookie in client.http.cookie_jar}
    db = cookies["hooksmith_session"]
    assert db["httponly"] is True
    assert db["samesite"].lower() == "lax"
    assert cookies["hooksmith_csrf"].value == reply.body["csrf_token"]
    assert (await client.get("/api/v1/me")).body["name"] == world.acme.email


async def test_wrong_password_is_refused(api: ApiFactory, world: World) -> None:
    client = await api()
    reply = await client.login(world.acme.email, "not the password")
    assert reply.status == 401
    assert reply.body["error"]["kind"] == "unauthorized"
    assert (await client.get("/api/v1/me")).status == 401


async def test_form_login_works_too(server: Server, world: World) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        form = {"email": world.bolt.email, "password": PASSWORD}
        async with http.post(server.url("/api/v1/session"), data=form) as response:
            assert response.status == 200
        client = Api(http, server.base_url)
        assert (await client.get("/api/v1/me")).body["company"] == "bolt"


async def test_cookie_requests_that_change_state_need_the_csrf_token(
    api: ApiFactory, world: World
) -> None:
    client = await api(login=world.acme.email)
    refused = await client.post(WEBHOOKS, definition(), csrf=False)
    assert refused.status == 403
    assert refused.body["error"]["field"] == "X-CSRF-Token"
    wrong = await client.post(WEBHOOKS, definition(), csrf=False, headers={"X-CSRF-Token": "x"})
    assert wrong.status == 403
    assert (await client.get(WEBHOOKS)).body["total"] == 0

    accepted = await client.post(WEBHOOKS, definition())
    assert accepted.status == 201

    machine = await api(token=world.acme.token)
    assert (await machine.post(WEBHOOKS, definition())).status == 201


async def test_csrf_token_may_come_as_a_form_field(api: ApiFactory, world: World) -> None:
    client = await api(login=world.acme.email)
    csrf = next(c.value for c in client.http.cookie_jar if c.key == "hooksmith_csrf")
    refused = await client.call("DELETE", "/api/v1/session", csrf=False, data={"x": "1"})
    assert refused.status == 403
    reply = await client.call("DELETE", "/api/v1/session", csrf=False, data={"csrf_token": csrf})
    assert reply.status == 204


async def test_logout_ends_the_session(api: ApiFactory, world: World) -> None:
    client = await api(login=world.acme.email)
    assert (await client.delete("/api/v1/session")).status == 204
    assert (await client.get("/api/v1/me")).status == 401


async def test_admins_manage_companies_users_and_tokens(api: ApiFactory, world: World) -> None:
    admin = await api(login=world.north_admin.email)
    company = await admin.post("/api/v1/companies", {"slug": "echo-co", "name": "Echo Co"})
    assert company.status == 201, company.text
    assert company.body["agency"] == "north"
    slugs = [c["slug"] for c in (await admin.get("/api/v1/companies")).body]
    assert slugs == ["acme", "bolt", "echo-co"]

    user = await admin.post(
        "/api/v1/users",
        {"email": "new@echo.test", "password": "long enough pw", "company": "echo-co"},
    )
    assert user.status == 201, user.text
    assert user.body["company"] == "echo-co"
    short = await admin.post("/api/v1/users", {"email": "x@echo.test", "password": "short"})
    assert short.body["error"]["field"] == "password"
    taken = await admin.post(
        "/api/v1/users", {"email": world.acme.email, "password": "long enough pw"}
    )
    assert taken.status == 409
    assert taken.body["error"]["field"] == "email"

    token = await admin.post("/api/v1/tokens", {"name": "ci", "company": "echo-co"})
    assert token.status == 201
    plaintext = token.body["token"]
    assert plaintext.startswith("hs_")
    listed = await admin.get("/api/v1/tokens")
    assert plaintext not in listed.text
    assert token.body["id"] in [t["id"] for t in listed.body]

    machine = await api(token=plaintext)
    assert (await machine.get("/api/v1/me")).body["company"] == "echo-co"
    assert (await machine.post(WEBHOOKS, definition())).body["company"] == "echo-co"
    assert (await admin.delete(f"/api/v1/tokens/{token.body['id']}")).status == 204
    assert (await machine.get("/api/v1/me")).status == 401


async def test_non_admins_cannot_manage_tenants(api: ApiFactory, world: World) -> None:
    user = await api(login=world.acme.email)
    assert (await user.get("/api/v1/users")).status == 403
    assert (await user.post("/api/v1/tokens", {"name": "x"})).status == 403
    company_admin_like = await api(token=world.north_admin.token)
    assert (await company_admin_like.get("/api/v1/tokens")).status == 403
    assert (await user.get("/api/v1/companies")).body == [
        {
            "id": world.tenants.acme.id,
            "slug": "acme",
            "name": "Acme",
            "agency": "north",
            "mock_staging": False,
        }
    ]


async def test_openapi_describes_the_api(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url("/openapi.json")) as response:
            schema = await response.json()
        async with http.get(server.url("/docs")) as docs:
            assert docs.status == 200
    assert "/api/v1/webhooks/{webhook_id}/execute" in schema["paths"]
