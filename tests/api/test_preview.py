"""`POST /api/v1/render`: the request a draft would send, with nothing sent or stored."""

from __future__ import annotations

from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition
from tests.upstream import Upstream

RENDER = "/api/v1/render"


async def test_a_draft_renders_with_secrets_redacted_and_nothing_sent(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(login=world.acme.email)
    draft = definition(
        upstream.url("/echo/{{ env }}"),
        context={"env": "staging"},
        auth={"type": "bearer", "token": "typed-draft-token"},
    )
    reply = await client.post(RENDER, {"definition": draft, "conversation": {"userName": "Ana"}})
    assert reply.status == 200, reply.text
    result = reply.body
    assert result["ok"] is True
    assert result["request"]["url"] == upstream.url("/echo/staging")
    assert '"who": "Ana"' in result["request"]["body"]
    assert result["response"] is None
    assert "typed-draft-token" not in reply.text
    assert upstream.received == []
    listed = await client.get("/api/v1/webhooks")
    assert listed.body["total"] == 0


async def test_a_draft_without_its_stored_secret_still_renders(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    draft = definition(upstream.url("/echo"), auth={"type": "basic", "username": "u"})
    reply = await client.post(RENDER, {"definition": draft})
    assert reply.status == 200, reply.text
    assert reply.body["ok"] is True
    shown = {h["key"]: h["value"] for h in reply.body["request"]["headers"]}
    assert shown["Authorization"] == "Basic u:(the saved secret)"


async def test_a_draft_shows_its_typed_token_masked(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    draft = definition(upstream.url("/echo"), auth={"type": "bearer", "token": "tok-0123456789"})
    reply = await client.post(RENDER, {"definition": draft})
    shown = {h["key"]: h["value"] for h in reply.body["request"]["headers"]}
    assert shown["Authorization"] == "Bearer to…89"
    assert "0123456" not in reply.text


async def test_body_errors_name_their_line_and_bad_definitions_their_field(
    api: ApiFactory, world: World
) -> None:
    client = await api(token=world.acme.token)
    broken = definition(body='{\n  "a": 1,\n  "b": \n}')
    reply = await client.post(RENDER, {"definition": broken})
    assert reply.status == 200, reply.text
    assert reply.body["error"]["kind"] == "render_error"
    assert reply.body["error"]["field"] == "body"
    assert "line 4" in reply.body["error"]["message"]

    invalid = await client.post(RENDER, {"definition": definition(timeout=0)})
    assert invalid.status == 422
    assert invalid.body["error"]["field"] == "timeout"


async def test_rendering_needs_a_signed_in_caller(api: ApiFactory, world: World) -> None:
    client = await api()
    reply = await client.post(RENDER, {"definition": definition()})
    assert reply.status == 401
