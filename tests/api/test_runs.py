"""Test runs, the runtime execute endpoint (sync and async) and run history over HTTP."""

from __future__ import annotations

from typing import Any

from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"
CONVERSATION = {"certainly": {"sessionId": "session-7"}, "orderNumber": "1042", "userName": "Ana"}


async def _hook(client: Api, upstream: Upstream, **overrides: Any) -> dict[str, Any]:
    reply = await client.post(WEBHOOKS, definition(upstream.url("/echo/orders"), **overrides))
    assert reply.status == 201, reply.text
    body: dict[str, Any] = reply.body
    return body


async def test_a_test_run_is_stored_with_its_result(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    hook = await _hook(client, upstream)
    reply = await client.post(f"{WEBHOOKS}/{hook['id']}/test", {"conversation": CONVERSATION})
    assert reply.status == 200, reply.text
    run = reply.body
    assert (run["kind"], run["status"], run["ok"], run["http_status"]) == (
        "test",
        "done",
        True,
        200,
    )
    assert run["session_id"] == "session-7"
    assert run["result"]["custom_variables"]["method"] == "POST"
    assert upstream.received[0]["body"] == '{"order": "1042", "who": "Ana"}'

    history = await client.get(f"{WEBHOOKS}/{hook['id']}/runs")
    assert [item["id"] for item in history.body["items"]] == [run["id"]]
    assert (await client.get(f"/api/v1/runs/{run['id']}")).body["kind"] == "test"


async def test_execute_returns_the_result_and_stores_a_live_run(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    hook = await _hook(client, upstream)
    reply = await client.post(f"{WEBHOOKS}/{hook['id']}/execute", CONVERSATION)
    assert reply.status == 200, reply.text
    assert reply.body["ok"] is True
    assert reply.body["custom_variables"]["order"] == '{"order": "1042", "who": "Ana"}'

    async def live_runs() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await client.get(f"{WEBHOOKS}/{hook['id']}/runs")).body[
            "items"
        ]
        return items

    runs = await eventually(live_runs)
    assert [(run["kind"], run["session_id"], run["ok"]) for run in runs] == [
        ("live", "session-7", True)
    ]


async def test_a_failed_webhook_still_answers_200_with_ok_false(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    reply = await client.post(WEBHOOKS, definition(upstream.url("/status/503")))
    result = await client.post(f"{WEBHOOKS}/{reply.body['id']}/execute", {})
    assert result.status == 200
    assert result.body["ok"] is False
    assert result.body["error"]["kind"] == "http_error"


async def test_execute_gives_up_after_timeout_plus_margin(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    reply = await client.post(
        WEBHOOKS, definition(upstream.url("/slow?seconds=5"), method="GET", body=None, timeout=0.3)
    )
    result = await client.post(f"{WEBHOOKS}/{reply.body['id']}/execute", {})
    assert result.status == 200
    assert result.body["ok"] is False
    assert result.body["error"]["kind"] == "timeout"
    assert result.body["duration_ms"] < 1500


async def test_async_webhooks_answer_202_and_finish_later(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    hook = await _hook(client, upstream, execution="async")
    reply = await client.post(f"{WEBHOOKS}/{hook['id']}/execute", CONVERSATION)
    assert reply.status == 202, reply.text
    assert reply.body["status"] == "pending"
    run_path = f"/api/v1/runs/{reply.body['run_id']}"

    async def done() -> dict[str, Any] | None:
        run: dict[str, Any] = (await client.get(run_path)).body
        assert run["status"] in {"pending", "running", "done"}
        return run if run["status"] == "done" else None

    run = await eventually(done)
    assert run["ok"] is True
    assert run["result"]["custom_variables"]["method"] == "POST"
    assert run["kind"] == "live"


async def test_execute_validates_the_conversation(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    hook = (await client.post(WEBHOOKS, definition())).body
    reply = await client.post(f"{WEBHOOKS}/{hook['id']}/execute", ["not", "an", "object"])
    assert reply.status == 422
    assert reply.body["error"]["field"] == "body"
    sample = await client.post(f"{WEBHOOKS}/{hook['id']}/test", {"conversation": 3})
    assert sample.status == 422
    assert sample.body["error"]["field"] == "conversation"


async def test_a_save_is_seen_by_the_next_execution(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    hook = await _hook(client, upstream)
    path = f"{WEBHOOKS}/{hook['id']}"
    assert (await client.post(f"{path}/execute", {})).body["ok"] is True
    changed = definition(upstream.url("/echo/changed"), revision=1)
    assert (await client.put(path, changed)).status == 200
    await client.post(f"{path}/execute", {})
    assert upstream.received[-1]["path"] == "/echo/changed"
