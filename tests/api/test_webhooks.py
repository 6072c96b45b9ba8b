"""Webhook CRUD over HTTP: pagination, search, company filter, duplicate, revisions, errors."""

from __future__ import annotations

import asyncio

from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition

WEBHOOKS = "/api/v1/webhooks"


async def test_create_read_update_delete(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    created = await client.post(WEBHOOKS, definition(name="First"))
    assert created.status == 201, created.text
    hook = created.body
    assert hook["company"] == "acme"
    assert hook["revision"] == 1
    assert hook["auth"] == {"type": "none"}

    read = await client.get(f"{WEBHOOKS}/{hook['id']}")
    assert read.status == 200
    assert read.body["name"] == "First"

    changed = definition(name="Renamed", timeout=9, revision=1)
    updated = await client.put(f"{WEBHOOKS}/{hook['id']}", changed)
    assert updated.status == 200, updated.text
    assert (updated.body["name"], updated.body["timeout"], updated.body["revision"]) == (
        "Renamed",
        9.0,
        2,
    )

    assert (await client.delete(f"{WEBHOOKS}/{hook['id']}")).status == 204
    gone = await client.get(f"{WEBHOOKS}/{hook['id']}")
    assert gone.status == 404
    assert gone.body["error"]["kind"] == "not_found"


async def test_list_paginates_searches_and_filters_by_company(
    api: ApiFactory, world: World
) -> None:
    agency = await api(token=world.north_admin.token)
    for index in range(5):
        company = "acme" if index % 2 == 0 else "bolt"
        reply = await agency.post(WEBHOOKS, definition(name=f"Hook {index}", company=company))
        assert reply.status == 201, reply.text
    await agency.post(WEBHOOKS, definition(name="Weather lookup", company="bolt"))

    page = await agency.get(WEBHOOKS, params={"offset": 2, "limit": 2})
    assert page.body["total"] == 6
    assert [item["name"] for item in page.body["items"]] == ["Hook 2", "Hook 3"]

    found = await agency.get(WEBHOOKS, params={"search": "WEATHER"})
    assert [item["name"] for item in found.body["items"]] == ["Weather lookup"]

    bolt = await agency.get(WEBHOOKS, params={"company": "bolt"})
    assert {item["company"] for item in bolt.body["items"]} == {"bolt"}
    assert bolt.body["total"] == 3

    company_user = await api(token=world.acme.token)
    mine = await company_user.get(WEBHOOKS)
    assert {item["company"] for item in mine.body["items"]} == {"acme"}
    assert mine.body["total"] == 3

    too_big = await agency.get(WEBHOOKS, params={"limit": 1000})
    assert too_big.status == 422
    assert too_big.body["error"]["field"] == "limit"


async def test_company_assignment_rules(api: ApiFactory, world: World) -> None:
    agency = await api(token=world.north_admin.token)
    unassigned = await agency.post(WEBHOOKS, definition())
    assert unassigned.status == 422
    assert unassigned.body["error"]["field"] == "company"
    foreign = await agency.post(WEBHOOKS, definition(company="cobalt"))
    assert foreign.status == 422
    assert foreign.body["error"]["field"] == "company"

    assigned = await agency.post(WEBHOOKS, definition(company="bolt"))
    assert assigned.body["company"] == "bolt"
    moved = await agency.put(
        f"{WEBHOOKS}/{assigned.body['id']}", definition(company="acme", revision=1)
    )
    assert moved.body["company"] == "acme"

    company_user = await api(token=world.acme.token)
    refused = await company_user.post(WEBHOOKS, definition(company="bolt"))
    assert refused.status == 403
    assert refused.body["error"]["field"] == "company"
    assert (await company_user.get(WEBHOOKS)).body["total"] == 1


async def test_duplicate_copies_the_definition(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    original = (await client.post(WEBHOOKS, definition(name="Orders"))).body
    copy = await client.post(f"{WEBHOOKS}/{original['id']}/duplicate")
    assert copy.status == 201, copy.text
    assert copy.body["name"] == "Orders (copy)"
    assert copy.body["id"] != original["id"]
    same = {
        k: v for k, v in copy.body.items() if k not in {"id", "name", "created_at", "updated_at"}
    }
    assert same == {k: v for k, v in original.items() if k in same}


async def test_a_stale_revision_is_a_conflict_and_changes_nothing(
    api: ApiFactory, world: World
) -> None:
    client = await api(token=world.acme.token)
    hook = (await client.post(WEBHOOKS, definition(name="Shared"))).body
    path = f"{WEBHOOKS}/{hook['id']}"
    first, second = await asyncio.gather(
        client.put(path, definition(name="Edit A", revision=1)),
        client.put(path, definition(name="Edit B", revision=1)),
    )
    statuses = sorted([first.status, second.status])
    assert statuses == [200, 409]
    loser = first if first.status == 409 else second
    winner = first if first.status == 200 else second
    assert loser.body["error"] == {
        "kind": "revision_conflict",
        "message": loser.body["error"]["message"],
        "field": "revision",
    }
    stored = (await client.get(path)).body
    assert stored["name"] == winner.body["name"]
    assert stored["revision"] == 2


async def test_every_fault_of_a_definition_is_listed_in_plain_words(
    api: ApiFactory, world: World
) -> None:
    client = await api(token=world.acme.token)
    broken = definition(
        name="",
        timeout=0,
        headers=[{"key": "X-Ok", "value": "1"}, {"key": "", "value": "v"}],
        host_from_conversation="maybe",
    )
    reply = await client.post(WEBHOOKS, broken)
    assert reply.status == 422
    error = reply.body["error"]
    assert error["field"] == "name"
    listed = {item["field"]: item["message"] for item in error["errors"]}
    assert listed == {
        "name": "must not be empty",
        "timeout": "must be > 0 and ≤ 60 seconds (got 0)",
        "headers[1].key": "must not be empty",
        "host_from_conversation": "must be true or false (got 'maybe')",
    }
    assert "should" not in reply.text
    assert (await client.get(WEBHOOKS)).body["total"] == 0


async def test_validation_errors_name_the_field_and_store_nothing(
    api: ApiFactory, world: World
) -> None:
    client = await api(token=world.acme.token)
    bad_header = definition(headers=[{"key": "Host", "value": "evil"}])
    reply = await client.post(WEBHOOKS, bad_header)
    assert reply.status == 422
    assert reply.body["error"]["kind"] == "invalid_definition"
    assert reply.body["error"]["field"] == "headers[0].key"

    timeout = await client.post(WEBHOOKS, definition(timeout=0))
    assert timeout.body["error"]["field"] == "timeout"
    assert "≤ 60" in timeout.body["error"]["message"]

    unknown = await client.post(WEBHOOKS, definition(colour="red"))
    assert unknown.body["error"]["field"] == "colour"

    not_an_object = await client.post(WEBHOOKS, [1, 2])
    assert not_an_object.status == 422
    assert (await client.get(WEBHOOKS)).body["total"] == 0

    hook = (await client.post(WEBHOOKS, definition())).body
    no_revision = await client.put(f"{WEBHOOKS}/{hook['id']}", definition(name="x"))
    assert no_revision.status == 422
    assert no_revision.body["error"]["field"] == "revision"

    bad_id = await client.get(f"{WEBHOOKS}/not-a-number")
    assert bad_id.status == 422
    assert bad_id.body["error"]["field"] == "webhook_id"


async def test_unknown_routes_and_missing_auth_use_the_error_shape(
    api: ApiFactory, world: World
) -> None:
    anonymous = await api()
    reply = await anonymous.get(WEBHOOKS)
    assert reply.status == 401
    assert reply.body["error"]["kind"] == "unauthorized"
    bad = await api(token="hs_not-a-real-token")
    assert (await bad.get(WEBHOOKS)).status == 401
    missing = await anonymous.get("/api/v1/nothing-here")
    assert missing.status == 404
    assert missing.body["error"]["kind"] == "not_found"
