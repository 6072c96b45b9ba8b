"""Run retention as a service function: runs older than the retention age are deleted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import Result
from hooksmith.service.runs import prune_runs
from hooksmith.store import NewRun, RunRepository, Scope, SecretBox, WebhookRepository
from hooksmith.store.models import utcnow
from tests.database import Tenants
from tests.factories import make_webhook


async def test_prune_deletes_only_runs_older_than_the_retention_age(
    open_db: async_sessionmaker[AsyncSession], secret_box: SecretBox, tenants: Tenants
) -> None:
    now = utcnow()
    async with open_db() as db:
        hook = await WebhookRepository(db, secret_box).add(tenants.acme.id, make_webhook())
        runs = [
            NewRun(
                webhook_id=hook.id,
                company_id=tenants.acme.id,
                webhook_revision=1,
                result=Result(ok=True),
                created_at=now - timedelta(days=age),
            )
            for age in (31, 29, 0)
        ]
        await RunRepository(db).add_many(runs)
        await db.commit()
    assert await prune_runs(open_db, 30, now=now) == 1
    async with open_db() as db:
        repository = RunRepository(db)
        kept = [await repository.get(Scope.everything(), run.id) for run in runs]
    assert [run is not None for run in kept] == [False, True, True]
