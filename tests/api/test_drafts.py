"""Drafts: checked and run as typed, without saving; stored secrets only to the same host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"
CHECK = "/api/v1/drafts/check"
RUN = "/api/v1/drafts/run"
TOKEN = "tok-draft-4f1a-very-secret"
BROKEN = {
    "body": '{"order": {% if orderNumber %}"{{ orderNumber }}"}',
    "headers": [{"key": "X-Who", "value": "{{ userName "}],
    "custom_variables": [
        {"name": "order", "mapper": "response.body.["},
        {"name": "method", "mapper": "response.method"},
    ],
}


def _authorization(upstream: Upstream) -> str | None:
    for key, value in upstream.received[-1]["headers"]:
        if key.lower() == "authorization":
            return str(value)
    return None


def _other_port(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(f":{parts.port}", f":{(parts.port or 80) + 1}", 1)


async def _bearer_webhook(client: Api, upstream: Upstream) -> dict[str, Any]:
    auth = {"type": "bearer", "token": TOKEN}
    created = await client.post(WEBHOOKS, definition(upstream.url("/echo/a"), auth=auth))
    assert created.status == 201, created.text
    body: dict[str, Any] = created.body
    return body


async def test_a_draft_run_uses_the_stored_token_on_the_same_host_and_saves_nothing(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    hook = await _bearer_webhook(client, upstream)
    draft = definition(upstream.url("/echo/draft"), name="Edited", auth={"type": "bearer"})
    reply = await client.post(
        RUN, {"definition": draft, "webhook_id": hook["id"], "conversation": {"orderNumber": 7}}
    )
    assert reply.status == 200, reply.text
    assert reply.body["ok"] is True, reply.text
    assert upstream.received[-1]["path"] == "/echo/draft"
    assert _authorization(upstream) == f"Bearer {TOKEN}"
    assert TOKEN not in reply.text

    stored = await client.get(f"{WEBHOOKS}/{hook['id']}")
    assert stored.body["revision"] == 1
    assert stored.body["name"] == "Order status"
    runs = await client.get(f"{WEBHOOKS}/{hook['id']}/runs")
    assert runs.body["total"] == 0


async def test_a_draft_run_to_another_host_never_gets_the_stored_token(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    hook = await _bearer_webhook(client, upstream)
    before = len(upstream.received)
    elsewhere = definition(_other_port(upstream.url("/echo/a")), auth={"type": "bearer"})
    reply = await client.post(RUN, {"definition": elsewhere, "webhook_id": hook["id"]})
    assert reply.status == 422, reply.text
    assert reply.body["error"]["field"] == "auth.token"
    assert "host" in reply.body["error"]["message"]

    switched = definition(
        upstream.url("/echo/a"), auth={"type": "basic", "username": "bot"}
    )  # another kind of auth does not get the token either
    reply = await client.post(RUN, {"definition": switched, "webhook_id": hook["id"]})
    assert reply.status == 422, reply.text
    assert reply.body["error"]["field"] == "auth.password"
    assert len(upstream.received) == before

    typed = definition(upstream.url("/echo/b"), auth={"type": "bearer", "token": "typed-now"})
    reply = await client.post(RUN, {"definition": typed})
    assert reply.body["ok"] is True, reply.text
    assert _authorization(upstream) == "Bearer typed-now"


async def test_a_draft_cannot_borrow_another_company_s_webhook(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    owner = await api(token=world.acme.token)
    hook = await _bearer_webhook(owner, upstream)
    before = len(upstream.received)
    stranger = await api(token=world.bolt.token)
    draft = definition(upstream.url("/echo/a"), auth={"type": "bearer"})
    for route in (RUN, CHECK):
        reply = await stranger.post(route, {"definition": draft, "webhook_id": hook["id"]})
        assert reply.status == 404, reply.text
    assert len(upstream.received) == before


async def test_a_check_lists_every_problem_by_field(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    reply = await client.post(CHECK, {"definition": definition(**BROKEN)})
    assert reply.status == 200, reply.text
    fields = [problem["field"] for problem in reply.body["problems"]]
    assert fields == ["headers[0].value", "body", "custom_variables[0].mapper"]
    assert "endif" in reply.body["problems"][1]["message"]

    never_json = await client.post(CHECK, {"definition": definition(body='{"bad": }')})
    (problem,) = never_json.body["problems"]
    assert problem["field"] == "body"
    assert problem["message"].startswith("whatever the data, not JSON: line 1, column 9")

    shape = await client.post(CHECK, {"definition": definition(timeout=0, url="ftp://x")})
    assert {p["field"] for p in shape.body["problems"]} == {"timeout", "url"}

    fine = await client.post(CHECK, {"definition": definition(auth={"type": "bearer"})})
    assert fine.body == {"problems": [], "clears_secret": None}


async def test_a_check_says_when_saving_would_clear_the_stored_token(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    hook = await _bearer_webhook(client, upstream)

    async def clears(url: str, auth: dict[str, Any]) -> str | None:
        draft = {"definition": definition(url, auth=auth), "webhook_id": hook["id"]}
        reply = await client.post(CHECK, draft)
        assert reply.status == 200, reply.text
        return reply.body["clears_secret"]  # type: ignore[no-any-return]

    bearer = {"type": "bearer"}
    assert await clears(upstream.url("/echo/other/path"), bearer) is None
    assert await clears(_other_port(upstream.url("/echo/a")), bearer) == "token"
    assert await clears(_other_port(upstream.url("/echo/a")), bearer | {"token": "new"}) is None


async def test_a_save_with_broken_templates_is_refused_and_changes_nothing(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    refused = await client.post(WEBHOOKS, definition(**BROKEN))
    assert refused.status == 422, refused.text
    assert refused.body["error"]["kind"] == "invalid_definition"
    for field in ("headers[0].value", "body", "custom_variables[0].mapper"):
        assert field in refused.body["error"]["message"]
    assert (await client.get(WEBHOOKS)).body["total"] == 0

    created = await client.post(WEBHOOKS, definition(upstream.url("/echo")))
    hook_id = created.body["id"]
    broken = definition(upstream.url("/echo"), custom_variables=BROKEN["custom_variables"])
    reply = await client.put(f"{WEBHOOKS}/{hook_id}", broken | {"revision": 1})
    assert reply.status == 422, reply.text
    assert reply.body["error"]["field"] == "custom_variables[0].mapper"
    stored = await client.get(f"{WEBHOOKS}/{hook_id}")
    assert stored.body["revision"] == 1
    assert stored.body["custom_variables"][0]["mapper"] == "response.body"


async def test_the_view_names_the_secret_a_webhook_needs(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    hook = await _bearer_webhook(client, upstream)
    assert hook["needs_secret"] is None
    moved = definition(_other_port(upstream.url("/echo/a")), auth={"type": "bearer"})
    updated = await client.put(f"{WEBHOOKS}/{hook['id']}", moved | {"revision": 1})
    assert updated.status == 200, updated.text
    assert updated.body["needs_secret"] == "token"
    listed = await client.get(WEBHOOKS)
    assert listed.body["items"][0]["needs_secret"] == "token"
    plain = await client.post(WEBHOOKS, definition(upstream.url("/echo")))
    assert plain.body["needs_secret"] is None
