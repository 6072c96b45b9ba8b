"""Revisions: every save is kept with its author, two can be compared, and one restored."""

from __future__ import annotations

from typing import Any

from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"
TOKEN = "tok-5d1a-kept-secret"


def _authorization(upstream: Upstream) -> str | None:
    for key, value in upstream.received[-1]["headers"]:
        if key.lower() == "authorization":
            return str(value)
    return None


async def _put(client: Api, hook_id: int, data: dict[str, Any]) -> dict[str, Any]:
    reply = await client.put(f"{WEBHOOKS}/{hook_id}", data)
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.body
    return body


async def test_three_saves_keep_three_revisions_with_their_authors(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    acme = await api(login=world.acme.email)
    admin = await api(login=world.north_admin.email)
    created = await acme.post(WEBHOOKS, definition(upstream.url("/echo/a"), name="Orders"))
    assert created.status == 201, created.text
    hook_id = created.body["id"]
    await _put(admin, hook_id, definition(upstream.url("/echo/a"), name="Order status", revision=1))
    await _put(acme, hook_id, definition(upstream.url("/echo/b"), name="Order status", revision=2))

    listed = await acme.get(f"{WEBHOOKS}/{hook_id}/revisions")
    assert listed.status == 200, listed.text
    assert listed.body["total"] == 3
    items = listed.body["items"]
    assert [item["revision"] for item in items] == [3, 2, 1]
    assert [item["author"] for item in items] == [
        world.acme.email,
        world.north_admin.email,
        world.acme.email,
    ]
    assert [item["definition"]["name"] for item in items] == [
        "Order status",
        "Order status",
        "Orders",
    ]

    page = await acme.get(f"{WEBHOOKS}/{hook_id}/revisions?offset=1&limit=1")
    assert [item["revision"] for item in page.body["items"]] == [2]
    assert page.body["total"] == 3

    first = await acme.get(f"{WEBHOOKS}/{hook_id}/revisions/1")
    assert first.status == 200, first.text
    assert first.body["definition"]["url"] == upstream.url("/echo/a")
    assert first.body["created_by"] == world.acme.user_id

    diff = await acme.get(f"{WEBHOOKS}/{hook_id}/revisions/1/diff/3")
    assert diff.status == 200, diff.text
    changed = {change["field"]: change for change in diff.body["changes"]}
    assert set(changed) == {"name", "url"}
    assert changed["name"]["before"] == "Orders"
    assert changed["name"]["after"] == "Order status"

    missing = await acme.get(f"{WEBHOOKS}/{hook_id}/revisions/9")
    assert missing.status == 404


async def test_restore_saves_the_old_definition_as_a_new_revision_without_a_cleared_secret(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    bearer = {"type": "bearer", "token": TOKEN}
    created = await client.post(
        WEBHOOKS, definition(upstream.url("/echo/a"), name="Lookup", auth=bearer)
    )
    hook_id = created.body["id"]
    # Another host clears the token; coming back to the first host does not bring it back.
    elsewhere = upstream.url("/echo/a").replace("127.0.0.1", "localhost")
    await _put(client, hook_id, definition(elsewhere, auth={"type": "bearer"}, revision=1))
    back = definition(upstream.url("/echo/c"), name="Changed", auth={"type": "bearer"}, revision=2)
    assert (await _put(client, hook_id, back))["auth"]["token_set"] is False

    stale = await client.post(f"{WEBHOOKS}/{hook_id}/revisions/1/restore", {"revision": 2})
    assert stale.status == 409, stale.text
    assert (await client.get(f"{WEBHOOKS}/{hook_id}")).body["revision"] == 3

    for wrong in ({}, {"revision": "3"}, {"revision": 2**63}):
        refused = await client.post(f"{WEBHOOKS}/{hook_id}/revisions/1/restore", wrong)
        assert refused.status == 422, refused.text
        assert refused.body["error"]["field"] == "revision"

    restored = await client.post(f"{WEBHOOKS}/{hook_id}/revisions/1/restore", {"revision": 3})
    assert restored.status == 200, restored.text
    assert restored.body["revision"] == 4
    assert restored.body["name"] == "Lookup"
    assert restored.body["url"] == upstream.url("/echo/a")
    assert restored.body["auth"] == {"type": "bearer", "token_set": False}
    assert restored.body["needs_secret"] == "token"
    assert TOKEN not in restored.text

    diff = await client.get(f"{WEBHOOKS}/{hook_id}/revisions/1/diff/4")
    assert [change["field"] for change in diff.body["changes"]] == ["auth.token_set"]
    listed = await client.get(f"{WEBHOOKS}/{hook_id}/revisions")
    assert [item["revision"] for item in listed.body["items"]] == [4, 3, 2, 1]
    assert TOKEN not in listed.text

    sent = len(upstream.received)
    run = await client.post(f"{WEBHOOKS}/{hook_id}/test", {"conversation": {}})
    assert run.body["result"]["ok"] is False
    assert len(upstream.received) == sent, "no request without the token"


async def test_restore_keeps_the_secret_the_restored_revision_had(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    bearer = {"type": "bearer", "token": TOKEN}
    created = await client.post(WEBHOOKS, definition(upstream.url("/echo/a"), auth=bearer))
    hook_id = created.body["id"]
    renamed = definition(upstream.url("/echo/b"), name="Renamed", auth={"type": "bearer"})
    await _put(client, hook_id, renamed | {"revision": 1})

    restored = await client.post(f"{WEBHOOKS}/{hook_id}/revisions/1/restore", {"revision": 2})
    assert restored.status == 200, restored.text
    assert restored.body["revision"] == 3
    assert restored.body["auth"] == {"type": "bearer", "token_set": True}

    run = await client.post(f"{WEBHOOKS}/{hook_id}/test", {"conversation": {}})
    assert run.status == 200, run.text
    assert run.body["result"]["ok"] is True
    assert _authorization(upstream) == f"Bearer {TOKEN}"
    assert run.body["webhook_revision"] == 3
    linked = await client.get(run.body["revision_url"])
    assert linked.status == 200, linked.text
    assert linked.body["revision"] == 3
    assert linked.body["definition"]["url"] == upstream.url("/echo/a")


async def test_another_companys_revisions_answer_404_and_change_nothing(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    acme = await api(token=world.acme.token)
    created = await acme.post(WEBHOOKS, definition(upstream.url("/echo/a"), name="Mine"))
    hook_id = created.body["id"]
    await _put(acme, hook_id, definition(upstream.url("/echo/a"), name="Mine too", revision=1))

    for caller in (world.cobalt, world.bolt, world.south_admin):
        stranger = await api(token=caller.token)
        for path in ("", "/1", "/1/diff/2"):
            reply = await stranger.get(f"{WEBHOOKS}/{hook_id}/revisions{path}")
            assert reply.status == 404, (caller.email, path, reply.text)
            assert "Mine" not in reply.text
        restore = await stranger.post(f"{WEBHOOKS}/{hook_id}/revisions/1/restore", {"revision": 2})
        assert restore.status == 404, restore.text

    current = await acme.get(f"{WEBHOOKS}/{hook_id}")
    assert current.body["revision"] == 2
    assert current.body["name"] == "Mine too"


async def test_a_duplicate_starts_its_own_history_at_revision_1(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(login=world.acme.email)
    created = await client.post(WEBHOOKS, definition(upstream.url("/echo/a"), name="Quote"))
    hook_id = created.body["id"]
    await _put(client, hook_id, definition(upstream.url("/echo/a"), name="Quote v2", revision=1))
    copy = await client.post(f"{WEBHOOKS}/{hook_id}/duplicate")
    assert copy.status == 201, copy.text
    listed = await client.get(f"{WEBHOOKS}/{copy.body['id']}/revisions")
    assert [item["revision"] for item in listed.body["items"]] == [1]
    assert listed.body["items"][0]["definition"]["name"] == "Quote v2 (copy)"
    assert listed.body["items"][0]["author"] == world.acme.email
    absent = await client.get(f"{WEBHOOKS}/{hook_id}/revisions/1/diff/7")
    assert absent.status == 404, absent.text
