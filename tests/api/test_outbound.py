"""Fair outbound capacity through the running server: the company of a webhook reaches the
engine, so one company's slow upstream queues only that company's executions."""

from __future__ import annotations

import asyncio
import time

import pytest

from hooksmith.service.runtime import Runtime
from hooksmith.settings import Settings
from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.server import Server
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"outbound_per_company": 1, "outbound_per_origin": 5, "outbound_total": 50}
    )


def test_the_engine_takes_its_limits_from_the_settings(server: Server) -> None:
    runtime: Runtime = server.app.state.runtime
    limits = runtime.engine.transport.capacity.limits
    assert (limits.per_origin, limits.per_company, limits.total) == (5, 1, 50)


async def test_a_company_at_its_limit_queues_only_its_own_executions(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    acme, bolt = await api(token=world.acme.token), await api(token=world.bolt.token)

    async def hook(client: Api, path: str, **overrides: object) -> str:
        reply = await client.post(WEBHOOKS, definition(upstream.url(path), **overrides))
        assert reply.status == 201, reply.text
        return f"{WEBHOOKS}/{reply.body['id']}/execute"

    slow = await hook(acme, "/slow?seconds=2")
    acme_fast = await hook(acme, "/echo/acme", timeout=0.5)
    bolt_fast = await hook(bolt, "/echo/bolt", timeout=5)

    in_flight = asyncio.create_task(acme.post(slow, {}))

    async def arrived() -> bool:
        return any(seen["path"] == "/slow" for seen in upstream.received)

    await eventually(arrived)
    started = time.monotonic()
    reply = await bolt.post(bolt_fast, {})
    assert reply.body["ok"] is True, reply.text
    assert time.monotonic() - started < 1.0

    reply = await acme.post(acme_fast, {})
    assert reply.body["ok"] is False
    assert reply.body["error"]["kind"] == "timeout"
    assert reply.body["error"]["message"] == (
        "timeout: timed out after 0.5 s waiting for a free connection to "
        f"127.0.0.1:{upstream.port} (per-company limit 1)"
    )
    assert not any(seen["path"] == "/echo/acme" for seen in upstream.received)
    assert (await in_flight).body["ok"] is True
