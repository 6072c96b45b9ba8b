"""The live-run writer: batches off the response path, everything written by `close`."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import Result
from hooksmith.service.jobs.writer import RunWriter
from hooksmith.store import NewRun, RunRepository, SecretBox, WebhookRepository
from tests.api.helpers import eventually
from tests.database import Tenants
from tests.factories import make_webhook


async def _webhook(
    open_db: async_sessionmaker[AsyncSession], box: SecretBox, company_id: int
) -> int:
    async with open_db() as db:
        row = await WebhookRepository(db, box).add(company_id, make_webhook())
        await db.commit()
        return row.id


def _runs(webhook_id: int, company_id: int, count: int) -> list[NewRun]:
    return [
        NewRun(
            webhook_id=webhook_id, company_id=company_id, webhook_revision=1, result=Result(ok=True)
        )
        for _ in range(count)
    ]


async def _count(open_db: async_sessionmaker[AsyncSession], tenants: Tenants, hook: int) -> int:
    async with open_db() as db:
        _, total = await RunRepository(db).list_for_webhook(tenants.scope(tenants.acme), hook)
        return total


async def test_runs_are_written_shortly_after_submit(
    open_db: async_sessionmaker[AsyncSession], secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await _webhook(open_db, secret_box, tenants.acme.id)
    writer = RunWriter(open_db, response_limit=1000, interval=0.01, batch_size=3)
    writer.start()
    try:
        for run in _runs(hook, tenants.acme.id, 7):
            writer.submit(run)

        async def all_written() -> bool:
            return await _count(open_db, tenants, hook) == 7

        await eventually(all_written)
    finally:
        await writer.close()


async def test_close_drains_the_queue(
    open_db: async_sessionmaker[AsyncSession], secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await _webhook(open_db, secret_box, tenants.acme.id)
    writer = RunWriter(open_db, response_limit=1000, interval=10, batch_size=200)
    writer.start()
    for run in _runs(hook, tenants.acme.id, 450):
        writer.submit(run)
    await writer.close()
    assert await _count(open_db, tenants, hook) == 450


async def test_a_run_that_cannot_be_stored_costs_no_other_run_its_place(
    open_db: async_sessionmaker[AsyncSession],
    secret_box: SecretBox,
    tenants: Tenants,
    caplog: pytest.LogCaptureFixture,
) -> None:
    acme = await _webhook(open_db, secret_box, tenants.acme.id)
    bolt = await _webhook(open_db, secret_box, tenants.bolt.id)
    # A result holding a function cannot be serialised: the batch it lands in must still be
    # stored, all but that one run.
    broken = NewRun(
        webhook_id=bolt,
        company_id=tenants.bolt.id,
        webhook_revision=1,
        result=Result(ok=True, custom_variables={"x": range}),
    )
    writer = RunWriter(open_db, response_limit=1000, interval=10, batch_size=200)
    writer.start()
    runs = _runs(acme, tenants.acme.id, 3)
    for run in (runs[0], broken, *runs[1:]):
        writer.submit(run)
    with caplog.at_level(logging.ERROR, logger="hooksmith.service.jobs.writer"):
        await writer.close()
    assert await _count(open_db, tenants, acme) == 3
    assert broken.id in caplog.text


async def test_a_run_the_database_refused_once_is_written_on_the_next_try(
    database_url: str,
    open_db: async_sessionmaker[AsyncSession],
    secret_box: SecretBox,
    tenants: Tenants,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a database error once (a trigger counting with a sequence) needs PostgreSQL")
    hook = await _webhook(open_db, secret_box, tenants.acme.id)
    async with open_db() as db:
        # A sequence, unlike a row, keeps counting when the failing insert rolls back.
        for statement in (
            "CREATE SEQUENCE run_inserts",
            """CREATE FUNCTION refuse_first_run() RETURNS trigger AS $$
            BEGIN
                IF nextval('run_inserts') = 1 THEN
                    RAISE EXCEPTION 'sorry, too many clients already';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql""",
            "CREATE TRIGGER refuse_first_run BEFORE INSERT ON runs "
            "FOR EACH ROW EXECUTE FUNCTION refuse_first_run()",
        ):
            await db.execute(text(statement))
        await db.commit()
    writer = RunWriter(open_db, response_limit=1000, interval=0.01, batch_size=200)
    writer.start()
    try:
        writer.submit(_runs(hook, tenants.acme.id, 1)[0])

        async def written() -> bool:
            return await _count(open_db, tenants, hook) == 1

        await eventually(written, timeout=5)
    finally:
        await writer.close()
    assert writer.failed == 0
