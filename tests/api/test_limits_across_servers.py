"""Per-company limits across servers: on PostgreSQL each server takes its share through the
heartbeat roll, so three servers together allow about the configured figures, not three times."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack

import aiohttp
import pytest

from hooksmith.service.runtime import Runtime
from hooksmith.settings import Settings
from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.server import Server, serve_app
from tests.upstream import Upstream

BURST = 30


@pytest.fixture
def settings(settings: Settings) -> Settings:
    if not settings.resolved_database_url().startswith("postgresql"):
        pytest.skip("servers share limits through PostgreSQL; SQLite has one process")
    # A burst and almost no refill: what the three servers accept in a moment is the burst.
    return settings.model_copy(
        update={
            "company_rate_burst": BURST,
            "company_rate_per_second": 0.001,
            "server_heartbeat_seconds": 0.2,
        }
    )


async def test_three_servers_allow_the_configured_burst_in_all(
    server: Server, settings: Settings, api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    created = await client.post("/api/v1/webhooks", definition(upstream.url("/echo")))
    execute = f"/api/v1/webhooks/{created.body['id']}/execute"
    with ExitStack() as stack:
        others = [stack.enter_context(serve_app(settings)) for _ in range(2)]
        runtimes: list[Runtime] = [s.app.state.runtime for s in (server, *others)]

        async def all_see_three() -> bool:
            return all(runtime.limits.servers == 3 for runtime in runtimes)

        await eventually(all_see_three, timeout=10)
        async with aiohttp.ClientSession() as http:
            callers = [Api(http, s.base_url, token=world.acme.token) for s in (server, *others)]
            replies = await asyncio.gather(
                *(callers[n % 3].post(execute, {}) for n in range(3 * BURST))
            )
    accepted = sum(1 for reply in replies if reply.status == 200)
    refused = {reply.status for reply in replies if reply.status != 200}
    assert refused <= {429}
    assert BURST * 0.8 <= accepted <= BURST * 1.2, accepted
