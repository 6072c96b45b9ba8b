"""The live path: a warm execution asks the database nothing, and a crowd of cold ones asks once.

Every SQL statement the running server sends is recorded with an event listener on the app's
own engine, with the name of the asyncio task that sent it: live runs may only be written by
the batched run writer's task, never by a request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from hooksmith.service.runtime import Runtime
from hooksmith.settings import Settings
from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.server import Server
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"
WRITER = "hooksmith-run-writer"
CONVERSATION = {"certainly": {"sessionId": "session-9"}, "orderNumber": "77", "userName": "Bo"}
EXECUTIONS = 20


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Nothing expires while the test runs (a slow machine must not see a revalidation), and the
    # writer writes when it holds EXECUTIONS runs, so its batching is visible.
    return settings.model_copy(
        update={
            "webhook_cache_seconds": 600.0,
            "run_writer_interval": 600.0,
            "run_writer_batch": EXECUTIONS,
        }
    )


@pytest.fixture
def statements(server: Server) -> Iterator[list[tuple[str, str]]]:
    """(task name, SQL) of every statement the server sends from now until the test ends."""
    runtime: Runtime = server.app.state.runtime
    seen: list[tuple[str, str]] = []

    def record(*args: Any) -> None:
        task = asyncio.current_task()
        seen.append((task.get_name() if task else "", " ".join(str(args[2]).split())))

    event.listen(runtime.database.pool.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(runtime.database.pool.sync_engine, "before_cursor_execute", record)


async def _hook(client: Api, upstream: Upstream) -> str:
    reply = await client.post(WEBHOOKS, definition(upstream.url("/echo/orders")))
    assert reply.status == 201, reply.text
    return f"{WEBHOOKS}/{reply.body['id']}"


def _by_requests(statements: list[tuple[str, str]]) -> list[str]:
    return [sql for task, sql in statements if task != WRITER]


def _run_inserts(statements: list[tuple[str, str]]) -> list[str]:
    return [
        sql for task, sql in statements if task == WRITER and sql.startswith("INSERT INTO runs")
    ]


async def test_warm_executions_send_no_query_and_runs_are_written_in_one_batch(
    api: ApiFactory,
    world: World,
    upstream: Upstream,
    statements: list[tuple[str, str]],
) -> None:
    client = await api(token=world.acme.token)
    path = await _hook(client, upstream)
    assert (await client.post(f"{path}/execute", CONVERSATION)).body["ok"] is True  # warm up
    statements.clear()

    for _ in range(EXECUTIONS - 1):
        reply = await client.post(f"{path}/execute", CONVERSATION)
        assert reply.status == 200, reply.text
        assert reply.body["ok"] is True

    async def written() -> bool:
        return len(_run_inserts(statements)) > 0

    await eventually(written)
    assert _by_requests(statements) == []
    assert len(_run_inserts(statements)) == 1  # one batch for all of them

    async def stored() -> int:
        total: int = (await client.get(f"{path}/runs")).body["total"]
        return total if total == EXECUTIONS else 0

    assert await eventually(stored) == EXECUTIONS


async def test_concurrent_cold_executions_load_the_webhook_once(
    api: ApiFactory,
    world: World,
    upstream: Upstream,
    statements: list[tuple[str, str]],
) -> None:
    client = await api(token=world.acme.token)
    single, crowded = await _hook(client, upstream), await _hook(client, upstream)
    statements.clear()
    assert (await client.post(f"{single}/execute", CONVERSATION)).body["ok"] is True
    one_load = _by_requests(statements)
    assert one_load, "a cold execution reads the webhook"
    statements.clear()

    replies = await asyncio.gather(
        *(client.post(f"{crowded}/execute", CONVERSATION) for _ in range(12))
    )
    assert [reply.body["ok"] for reply in replies] == [True] * 12
    assert _by_requests(statements) == one_load
