"""The PostgreSQL job queue (procrastinate) that carries asynchronous runs between processes.

Servers only defer jobs; `hooksmith worker` processes, on any number of machines, take them up.
Jobs live in the `procrastinate` schema of the hooksmith database (created by migration 0002),
so a run and its job are backed up, restored and made durable together.

Two tasks: `hooksmith.run` (execute a run, then defer its callback) and `hooksmith.callback`
(one delivery attempt; a failure defers the next attempt at its backoff time). A worker that
dies (SIGKILL, lost machine) stops sending heartbeats; after `worker_stalled_seconds` any other
worker puts its jobs back in the queue, and the run is executed again with the same
Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.service.jobs.runs import JobContext, deliver_callback, perform_run
from hooksmith.service.tasks import cancel_and_wait
from hooksmith.settings import Settings
from hooksmith.store.async_runs import AsyncRunRepository
from hooksmith.store.models import utcnow

log = logging.getLogger(__name__)

QUEUE_NAME = "hooksmith"
QUEUE_SCHEMA = "procrastinate"
RUN_TASK = "hooksmith.run"
CALLBACK_TASK = "hooksmith.callback"


def retry_strategy() -> procrastinate.RetryStrategy:
    """How a job that raised is tried again: 2, 4, 8 … 1,024 s later, ten times (about 34 min).

    The webhook's own failures are results, not exceptions, so what raises is the database
    (an outage, no connection left) or a bug; without a retry a run whose result could not be
    stored would stay `running` for ever, and a callback `pending`. A run tried again is sent
    again with the same Idempotency-Key; a finished one is not sent again (`perform_run`).
    """
    return procrastinate.RetryStrategy(max_attempts=10, exponential_wait=2)


def queue_conninfo(database_url: str) -> str:
    """The libpq URL of the SQLAlchemy `database_url` (the queue shares the database)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def build_queue(database_url: str, ctx: JobContext | None = None, *, pool_size: int = 10) -> Any:
    """A procrastinate App on the hooksmith database; with `ctx`, its tasks can also run."""
    connector = procrastinate.PsycopgConnector(
        conninfo=queue_conninfo(database_url),
        kwargs={"options": f"-c search_path={QUEUE_SCHEMA}"},
        min_size=1,
        max_size=pool_size,
    )
    app = procrastinate.App(connector=connector)
    if ctx is None:
        return app

    @app.task(name=RUN_TASK, queue=QUEUE_NAME, retry=retry_strategy())
    async def run(run_id: str) -> None:
        if await perform_run(ctx, run_id):
            await _defer_callback(app, run_id, None)

    @app.task(name=CALLBACK_TASK, queue=QUEUE_NAME, retry=retry_strategy())
    async def callback(run_id: str) -> None:
        next_at = await deliver_callback(ctx, run_id)
        if next_at is not None:
            await _defer_callback(app, run_id, next_at)

    return app


async def _defer_callback(app: Any, run_id: str, at: datetime | None) -> None:
    options: dict[str, Any] = {"queue": QUEUE_NAME, "queueing_lock": f"callback-{run_id}"}
    if at is not None:
        options["schedule_at"] = at
    with contextlib.suppress(AlreadyEnqueued):  # a repeated job found the next one queued
        await app.configure_task(CALLBACK_TASK, **options).defer_async(run_id=run_id)


class QueueDispatcher:
    """Defers each accepted run as a `hooksmith.run` job; workers do the rest.

    With `concurrency` > 0 the server also works the queue itself (`server_worker_concurrency`),
    so a PostgreSQL deployment without any `hooksmith worker` still completes its runs.
    """

    def __init__(self, app: Any, worker: asyncio.Task[None] | None = None) -> None:
        self.app = app
        self.worker = worker
        self.sweeper: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        settings: Settings,
        ctx: JobContext,
        *,
        concurrency: int,
    ) -> QueueDispatcher:
        app = build_queue(
            settings.resolved_database_url(),
            ctx if concurrency else None,
            pool_size=concurrency + 4,
        )
        await app.open_async()
        worker = None
        if concurrency:
            worker = asyncio.create_task(
                run_worker(
                    app,
                    concurrency=concurrency,
                    heartbeat_seconds=settings.worker_heartbeat_seconds,
                    stalled_seconds=settings.worker_stalled_seconds,
                    name="server",
                    install_signal_handlers=False,
                ),
                name="hooksmith-queue-worker",
            )
        return cls(app, worker)

    async def submit(self, run_id: str) -> None:
        # The lock makes deferring a run that is still queued a no-op, so `sweep` may repeat.
        task = self.app.configure_task(RUN_TASK, queue=QUEUE_NAME, queueing_lock=f"run-{run_id}")
        with contextlib.suppress(AlreadyEnqueued):
            await task.defer_async(run_id=run_id)

    async def reachable(self) -> None:
        """Ask the queue's database one trivial question; raises when it does not answer."""
        await self.app.connector.execute_query_one_async("SELECT 1 AS one")

    async def sweep(self, open_db: async_sessionmaker[AsyncSession], stale_seconds: float) -> int:
        """Defer again every run pending for longer than `stale_seconds`; returns how many.

        A run is stored before its job is queued: a process that dies in between (or a queue
        that refused the job) would leave it pending for ever without this.
        """
        older_than = utcnow() - timedelta(seconds=stale_seconds)
        async with open_db() as db:
            stale = await AsyncRunRepository(db).stale_pending(older_than)
        for run_id in stale:
            await self.submit(run_id)
        if stale:
            log.warning(
                "deferred %d pending runs again (older than %.0f s)", len(stale), stale_seconds
            )
        return len(stale)

    def start_sweeping(
        self, open_db: async_sessionmaker[AsyncSession], *, every: float, stale_seconds: float
    ) -> None:
        """Sweep stale pending runs every `every` seconds until `close`."""

        async def loop() -> None:
            while True:
                try:
                    await self.sweep(open_db, stale_seconds)
                except Exception:
                    log.exception("looking for stale pending runs failed")
                await asyncio.sleep(every)

        self.sweeper = asyncio.create_task(loop(), name="hooksmith-stale-runs")

    async def close(self) -> None:
        await cancel_and_wait(self.sweeper)
        await cancel_and_wait(self.worker)
        await self.app.close_async()


async def requeue_stalled(app: Any, *, stalled_seconds: float) -> int:
    """Put the jobs of workers silent for `stalled_seconds` back in the queue."""
    requeued = 0
    manager = app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds):
        try:
            await manager.retry_job(job)
        except Exception:  # another worker requeued it first
            log.debug("stalled job %s was already requeued", job.id, exc_info=True)
        else:
            requeued += 1
            log.warning("requeued job %s of a stalled worker (%s)", job.id, job.task_name)
    return requeued


async def run_worker(
    app: Any,
    *,
    concurrency: int,
    heartbeat_seconds: float,
    stalled_seconds: float,
    name: str | None = None,
    install_signal_handlers: bool = True,
) -> None:
    """Work the queue until SIGINT/SIGTERM (or cancelled), requeueing stalled workers' jobs."""

    async def watch() -> None:
        while True:
            try:
                await requeue_stalled(app, stalled_seconds=stalled_seconds)
            except Exception:
                log.exception("looking for stalled jobs failed")
            await asyncio.sleep(heartbeat_seconds)

    watcher = asyncio.create_task(watch(), name="hooksmith-stalled-jobs")
    try:
        await app.run_worker_async(
            queues=[QUEUE_NAME],
            concurrency=concurrency,
            name=name,
            update_heartbeat_interval=heartbeat_seconds,
            stalled_worker_timeout=stalled_seconds,
            delete_jobs="successful",
            shutdown_graceful_timeout=30,
            install_signal_handlers=install_signal_handlers,
        )
    finally:
        await cancel_and_wait(watcher)
