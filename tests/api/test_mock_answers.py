"""Mock answers: a webhook's sample (typed or from a run), runs against it, and executes with
staging tokens that answer from it while the company's mock switch is on, sending nothing."""

from __future__ import annotations

import json
from typing import Any

from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"
ANSWER = {"ticket": {"id": 7, "state": "open"}}
MAPPERS = [
    {"name": "ticket_id", "mapper": "response.ticket.id"},
    {"name": "state", "mapper": "response.ticket.state"},
    {"name": "priority", "mapper": "response.ticket.priority", "default": "normal"},
    {"name": "who", "mapper": "userName"},
]
TYPED = {
    "status": 201,
    "headers": [{"key": "Content-Type", "value": "application/json"}],
    "body": json.dumps(ANSWER),
}


async def _hook(client: Api, upstream: Upstream, **overrides: Any) -> dict[str, Any]:
    data = definition(upstream.url("/echo/tickets"), custom_variables=MAPPERS, **overrides)
    reply = await client.post(WEBHOOKS, data)
    assert reply.status == 201, reply.text
    hook: dict[str, Any] = reply.body
    return hook


async def _staging(api: ApiFactory, world: World, *, mock: bool) -> Api:
    """A client with a new staging token of acme, the company's mock switch set to `mock`."""
    admin = await api(login=world.north_admin.email)
    switched = await admin.put("/api/v1/companies/acme/mock", {"mock_staging": mock})
    assert switched.status == 200, switched.text
    assert switched.body["mock_staging"] is mock
    made = await admin.post(
        "/api/v1/tokens", {"name": "staging bot", "company": "acme", "environment": "staging"}
    )
    assert made.status == 201, made.text
    assert made.body["environment"] == "staging"
    return await api(token=made.body["token"])


async def test_a_typed_sample_is_stored_read_replaced_and_deleted(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(login=world.acme.email)
    hook = await _hook(client, upstream)
    path = f"{WEBHOOKS}/{hook['id']}/sample"
    assert (await client.get(path)).status == 404

    stored = await client.put(path, TYPED)
    assert stored.status == 200, stored.text
    assert stored.body["source"] == "typed"
    assert stored.body["updated_by"] == world.acme.user_id
    read = await client.get(path)
    assert read.status == 200
    assert (read.body["status"], read.body["headers"], read.body["body"]) == (
        201,
        TYPED["headers"],
        TYPED["body"],
    )

    replaced = await client.put(path, {"status": 404, "body": "gone"})
    assert replaced.status == 200, replaced.text
    assert (await client.get(path)).body["body"] == "gone"

    assert (await client.delete(path)).status == 204
    assert (await client.get(path)).status == 404
    assert upstream.received == []


async def test_a_bad_sample_names_its_field_and_changes_nothing(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    hook = await _hook(client, upstream)
    path = f"{WEBHOOKS}/{hook['id']}/sample"
    assert (await client.put(path, TYPED)).status == 200
    bad_cases: list[tuple[dict[str, Any], str]] = [
        ({"status": 42}, "status"),
        ({"status": "soon"}, "status"),
        ({"headers": [{"key": "Bad Name", "value": "x"}]}, "headers[0].key"),
        ({"headers": [{"key": "X-A", "value": "a\r\nInjected: 1"}]}, "headers[0].value"),
        ({"body": {"not": "text"}}, "body"),
        ({"colour": "red"}, "colour"),
    ]
    for change, field in bad_cases:
        reply = await client.put(path, TYPED | change)
        assert reply.status == 422, (change, reply.text)
        assert field in (reply.body["error"]["field"] or ""), (change, reply.body)
    assert (await client.get(path)).body["body"] == TYPED["body"]


async def test_a_run_answer_becomes_the_sample(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(login=world.acme.email)
    hook = await _hook(client, upstream)
    run = await client.post(f"{WEBHOOKS}/{hook['id']}/test", {"conversation": {"userName": "Ana"}})
    assert run.status == 200, run.text
    taken = await client.post(
        f"{WEBHOOKS}/{hook['id']}/sample/from-run", {"run_id": run.body["id"]}
    )
    assert taken.status == 200, taken.text
    assert taken.body["source"] == "run"
    assert taken.body["run_id"] == run.body["id"]
    assert taken.body["status"] == 200
    assert json.loads(taken.body["body"]) == run.body["result"]["response"]["body"]
    keys = {header["key"].lower() for header in taken.body["headers"]}
    assert "content-type" in keys
    assert "content-length" not in keys  # it described the bytes on the wire

    other = await _hook(client, upstream, name="Another")
    wrong = await client.post(
        f"{WEBHOOKS}/{other['id']}/sample/from-run", {"run_id": run.body["id"]}
    )
    assert wrong.status == 404
    assert wrong.body["error"]["field"] == "run_id"


async def test_a_run_against_the_sample_maps_its_variables_and_sends_nothing(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(login=world.acme.email)
    hook = await _hook(client, upstream)
    against = f"{WEBHOOKS}/{hook['id']}/sample/run"
    missing = await client.post(against, {"conversation": {}})
    assert missing.status == 200, missing.text
    assert missing.body["ok"] is False
    assert missing.body["error"]["kind"] == "no_sample"
    assert missing.body["mock"] is True

    assert (await client.put(f"{WEBHOOKS}/{hook['id']}/sample", TYPED)).status == 200
    reply = await client.post(against, {"conversation": {"userName": "Ana"}})
    assert reply.status == 200, reply.text
    result = reply.body
    assert result["ok"] is True
    assert result["mock"] is True
    assert result["status"] == 201
    assert result["custom_variables"] == {
        "ticket_id": 7,
        "state": "open",
        "priority": "normal",
        "who": "Ana",
    }
    assert result["request"]["url"] == upstream.url("/echo/tickets")  # rendered, not sent
    assert result["attempts"] == []

    # The builder's unsaved mappers, against the same sample.
    draft = definition(
        upstream.url("/echo/tickets"),
        custom_variables=[{"name": "state_upper", "mapper": "response.ticket.state | upper"}],
    )
    drafted = await client.post(against, {"conversation": {}, "definition": draft})
    assert drafted.status == 200, drafted.text
    assert drafted.body["custom_variables"] == {"state_upper": "OPEN"}
    assert upstream.received == []


async def test_staging_execute_with_the_switch_on_answers_from_the_sample(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    owner = await api(token=world.acme.token)
    hook = await _hook(owner, upstream, success_condition="status == 201")
    assert (await owner.put(f"{WEBHOOKS}/{hook['id']}/sample", TYPED)).status == 200
    staging = await _staging(api, world, mock=True)

    reply = await staging.post(f"{WEBHOOKS}/{hook['id']}/execute", {"userName": "Ana"})
    assert reply.status == 200, reply.text
    assert reply.body["ok"] is True
    assert reply.body["mock"] is True
    assert reply.body["custom_variables"]["ticket_id"] == 7
    assert reply.body["custom_variables"]["who"] == "Ana"
    assert upstream.received == []

    async def mock_run() -> dict[str, Any] | None:
        runs = (await owner.get(f"{WEBHOOKS}/{hook['id']}/runs")).body["items"]
        return runs[0] if runs else None

    run = await eventually(mock_run)
    assert run["mock"] is True
    assert run["result"]["mock"] is True

    # A production token of the same company always sends.
    sent = await owner.post(f"{WEBHOOKS}/{hook['id']}/execute", {"userName": "Ana"})
    assert sent.status == 200, sent.text
    assert sent.body["mock"] is False
    assert len(upstream.received) == 1


async def test_staging_execute_with_the_switch_off_sends(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    owner = await api(token=world.acme.token)
    hook = await _hook(owner, upstream)
    assert (await owner.put(f"{WEBHOOKS}/{hook['id']}/sample", TYPED)).status == 200
    staging = await _staging(api, world, mock=False)
    reply = await staging.post(f"{WEBHOOKS}/{hook['id']}/execute", {"userName": "Ana"})
    assert reply.status == 200, reply.text
    assert reply.body["mock"] is False
    assert len(upstream.received) == 1


async def test_staging_execute_without_a_sample_is_a_clear_failure_not_a_500(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    owner = await api(token=world.acme.token)
    hook = await _hook(owner, upstream)
    staging = await _staging(api, world, mock=True)
    reply = await staging.post(f"{WEBHOOKS}/{hook['id']}/execute", {})
    assert reply.status == 200, reply.text
    assert reply.body["ok"] is False
    assert reply.body["error"]["kind"] == "no_sample"
    assert "sample" in reply.body["error"]["message"]
    assert reply.body["custom_variables"] == {"priority": "normal"}  # defaults, as on failure
    assert upstream.received == []


async def test_an_async_staging_run_answers_from_the_sample(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    owner = await api(token=world.acme.token)
    hook = await _hook(owner, upstream, execution="async")
    assert (await owner.put(f"{WEBHOOKS}/{hook['id']}/sample", TYPED)).status == 200
    staging = await _staging(api, world, mock=True)
    reply = await staging.post(f"{WEBHOOKS}/{hook['id']}/execute", {"userName": "Ana"})
    assert reply.status == 202, reply.text
    run_path = f"/api/v1/runs/{reply.body['run_id']}"

    async def done() -> dict[str, Any] | None:
        run: dict[str, Any] = (await owner.get(run_path)).body
        return run if run["status"] == "done" else None

    run = await eventually(done)
    assert run["mock"] is True
    assert run["ok"] is True
    assert run["result"]["custom_variables"]["ticket_id"] == 7
    assert run["result"]["mock"] is True
    assert upstream.received == []


async def test_only_admins_turn_the_mock_switch_and_tokens_take_known_environments(
    api: ApiFactory, world: World
) -> None:
    user = await api(login=world.acme.email)
    refused = await user.put("/api/v1/companies/acme/mock", {"mock_staging": True})
    assert refused.status == 403
    admin = await api(login=world.north_admin.email)
    bad = await admin.post(
        "/api/v1/tokens", {"name": "x", "company": "acme", "environment": "preview"}
    )
    assert bad.status == 422
    assert bad.body["error"]["field"] == "environment"
    companies = (await admin.get("/api/v1/companies")).body
    assert {c["slug"]: c["mock_staging"] for c in companies}["acme"] is False
