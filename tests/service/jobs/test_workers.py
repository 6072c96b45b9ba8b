"""The real job queue with real processes: `hooksmith serve` and `hooksmith worker` on
PostgreSQL. A worker killed mid-job leaves its run to another worker, and the upstream sees the
run's one Idempotency-Key; two workers complete 1,000 runs, none lost and none duplicated.
(Skipped, saying why, when PostgreSQL is unreachable.)"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from hooksmith.store import create_pool, db_opener
from hooksmith.store.models import RunRow
from tests.api.client import Api
from tests.api.helpers import definition, eventually
from tests.service.jobs.processes import Cluster, cluster, seed_tenant
from tests.service.jobs.receiver import Receiver

WEBHOOKS = "/api/v1/webhooks"
RUNS = 1000


async def _webhook(client: Api, url: str) -> int:
    reply = await client.post(WEBHOOKS, definition(url, execution="async", timeout=60))
    assert reply.status == 201, reply.text
    return int(reply.body["id"])


def _succeeded(log: str) -> int:
    """How many runs a worker's log says it completed."""
    return sum("hooksmith.run[" in line and "status: Success" in line for line in log.splitlines())


async def _done(client: Api, run_id: str, running: Cluster) -> dict[str, Any]:
    """The run once done (30 s at most); failing, the processes' logs say why not."""

    async def done() -> dict[str, Any] | None:
        run: dict[str, Any] = (await client.get(f"/api/v1/runs/{run_id}")).body
        return run if run["status"] == "done" else None

    try:
        return await eventually(done, timeout=30)
    except AssertionError:
        raise AssertionError(running.logs()) from None


async def _runs(database_url: str) -> dict[str, tuple[str, int]]:
    """Every run in the database: id → (status, attempts)."""
    database = create_pool(database_url)
    try:
        async with db_opener(database)() as db:
            rows = await db.execute(select(RunRow.id, RunRow.status, RunRow.attempts))
            return {run_id: (status, attempts) for run_id, status, attempts in rows}
    finally:
        await database.dispose()


async def test_a_worker_killed_mid_job_leaves_its_run_to_another(
    postgres_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.hold_first = 5  # the first request hangs: its worker is killed meanwhile
    tenant = await seed_tenant(postgres_url)
    with cluster(postgres_url, tmp_path) as running:
        running.start_worker("first")
        async with Api.http() as http:
            client = Api(http, running.base_url, token=tenant.token)
            hook = await _webhook(client, receiver.url("/work"))
            reply = await client.post(f"{WEBHOOKS}/{hook}/execute", {"userName": "Ana"})
            assert reply.status == 202, reply.text
            run_id = reply.body["run_id"]

            async def mid_job() -> bool:
                return receiver.upstream_calls == 1

            await eventually(mid_job, timeout=20)
            running.kill("first")
            running.start_worker("second")

            run = await _done(client, run_id, running)
    assert run["ok"] is True
    assert receiver.keys == {run_id: 2}  # sent twice, with the run's one key
    assert receiver.effects == {run_id}  # so it took effect once
    assert (await _runs(postgres_url))[run_id] == ("done", 2)


async def _fail_first_result_stored(database_url: str) -> None:
    """A real database error, once: the first update that marks a run done raises (a sequence,
    unlike a row, keeps counting when the failing transaction rolls back)."""
    database = create_pool(database_url)
    try:
        async with database.begin() as connection:
            for statement in (
                "CREATE SEQUENCE done_updates",
                """CREATE FUNCTION fail_first_done() RETURNS trigger AS $$
                BEGIN
                    IF NEW.status = 'done' AND nextval('done_updates') = 1 THEN
                        RAISE EXCEPTION 'the database went away for a moment';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql""",
                "CREATE TRIGGER fail_first_done BEFORE UPDATE ON runs "
                "FOR EACH ROW EXECUTE FUNCTION fail_first_done()",
            ):
                await connection.execute(text(statement))
    finally:
        await database.dispose()


async def test_a_run_whose_result_could_not_be_stored_is_tried_again(
    postgres_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    tenant = await seed_tenant(postgres_url)
    await _fail_first_result_stored(postgres_url)
    with cluster(postgres_url, tmp_path) as running:
        running.start_worker("only")
        async with Api.http() as http:
            client = Api(http, running.base_url, token=tenant.token)
            hook = await _webhook(client, receiver.url("/work"))
            reply = await client.post(f"{WEBHOOKS}/{hook}/execute", {"userName": "Ana"})
            assert reply.status == 202, reply.text
            run_id = reply.body["run_id"]

            run = await _done(client, run_id, running)
    assert run["ok"] is True
    assert "the database went away" in running.log_of("only")
    assert receiver.keys == {run_id: 2}  # sent again after the failure, with the same key
    assert (await _runs(postgres_url))[run_id] == ("done", 2)


async def test_two_workers_complete_a_thousand_runs_none_lost_or_duplicated(
    postgres_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    tenant = await seed_tenant(postgres_url)
    with cluster(postgres_url, tmp_path) as running:
        running.start_worker("one")
        running.start_worker("two")
        async with Api.http() as http:
            client = Api(http, running.base_url, token=tenant.token)
            hook = await _webhook(client, receiver.url("/work"))
            gate = asyncio.Semaphore(32)

            async def execute(number: int) -> str:
                for _ in range(5):  # as a bot runtime does: a 503 is tried again a moment later
                    async with gate:
                        reply = await client.post(f"{WEBHOOKS}/{hook}/execute", {"n": number})
                    if reply.status != 503:
                        break
                    await asyncio.sleep(1)
                assert reply.status == 202, f"{reply.text}\n{running.logs()}"
                return str(reply.body["run_id"])

            accepted = await asyncio.gather(*(execute(n) for n in range(RUNS)))

            async def all_done() -> dict[str, tuple[str, int]] | None:
                runs = await _runs(postgres_url)
                finished = sum(status == "done" for status, _ in runs.values())
                return runs if finished == RUNS else None

            try:
                runs = await eventually(all_done, timeout=120, step=0.5)
            except AssertionError:
                raise AssertionError(running.logs()) from None

            async def logged() -> list[int] | None:
                # A worker logs a job's success just after the job stored its run as done.
                shares = [_succeeded(running.log_of(name)) for name in ("one", "two")]
                return shares if sum(shares) >= RUNS else None

            try:
                shares = await eventually(logged, timeout=10, step=0.1)
            except AssertionError:
                shares = [_succeeded(running.log_of(name)) for name in ("one", "two")]
    assert len(set(accepted)) == RUNS
    assert set(runs) == set(accepted)
    assert set(receiver.keys) == set(accepted)  # none lost
    assert max(receiver.keys.values()) == 1  # none duplicated
    assert {attempts for _, attempts in runs.values()} == {1}
    assert sum(shares) == RUNS
    assert min(shares) > 0  # both workers took their share


async def test_pending_runs_complete_after_the_server_restarts(
    postgres_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    tenant = await seed_tenant(postgres_url)
    with cluster(postgres_url, tmp_path) as running:  # a server and no worker yet
        async with Api.http() as http:
            client = Api(http, running.base_url, token=tenant.token)
            hook = await _webhook(client, receiver.url("/work"))
            replies = [await client.post(f"{WEBHOOKS}/{hook}/execute", {"n": n}) for n in range(5)]
    assert {reply.status for reply in replies} == {202}
    assert receiver.upstream_calls == 0
    with cluster(postgres_url, tmp_path / "again") as running:
        running.start_worker("late")

        async def all_done() -> bool:
            runs = await _runs(postgres_url)
            return all(status == "done" for status, _ in runs.values())

        await eventually(all_done, timeout=30)
    assert set(receiver.keys) == {reply.body["run_id"] for reply in replies}
