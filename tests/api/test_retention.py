"""Run retention in the server: old runs are pruned by the lifespan task; big bodies truncated."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import Result
from hooksmith.settings import Settings
from hooksmith.store import NewRun, RunRepository, Scope
from hooksmith.store.models import utcnow
from tests.api.client import Api
from tests.api.conftest import World
from tests.api.helpers import definition, eventually
from tests.server import serve_app
from tests.upstream import Upstream


async def test_big_response_bodies_are_stored_truncated_with_the_flag(
    settings: Settings, world: World, upstream: Upstream
) -> None:
    small = settings.model_copy(update={"run_body_limit": 1000})
    with serve_app(small) as server:
        async with Api.http() as http:
            client = Api(http, server.base_url, token=world.acme.token)
            hook = await client.post(
                "/api/v1/webhooks",
                definition(upstream.url("/big?bytes=5000"), response_type="text", body=None),
            )
            run = (await client.post(f"/api/v1/webhooks/{hook.body['id']}/test", {})).body
    assert run["response_truncated"] is True
    assert run["result"]["response"]["truncated"] is True
    assert len(run["result"]["response"]["body"]) <= 1000


async def test_the_lifespan_prunes_runs_past_the_retention_age(
    settings: Settings,
    world: World,
    open_db: async_sessionmaker[AsyncSession],
    upstream: Upstream,
) -> None:
    quick = settings.model_copy(
        update={"run_retention_days": 1, "retention_interval_seconds": 0.05}
    )
    with serve_app(quick) as server:
        async with Api.http() as http:
            client = Api(http, server.base_url, token=world.acme.token)
            hook = (await client.post("/api/v1/webhooks", definition(upstream.url("/echo")))).body
            fresh = (await client.post(f"/api/v1/webhooks/{hook['id']}/test", {})).body
            async with open_db() as db:
                old = NewRun(
                    webhook_id=hook["id"],
                    company_id=world.tenants.acme.id,
                    webhook_revision=1,
                    result=Result(ok=True),
                    created_at=utcnow() - timedelta(days=2),
                )
                await RunRepository(db).add_many([old])
                await db.commit()

            async def pruned() -> bool:
                async with open_db() as db:
                    return await RunRepository(db).get(Scope.everything(), old.id) is None

            await eventually(pruned)
            runs = (await client.get(f"/api/v1/webhooks/{hook['id']}/runs")).body
            assert [run["id"] for run in runs["items"]] == [fresh["id"]]
