"""A worker process: the server's resources (database, engine, caches) working the job queue."""

from __future__ import annotations

import logging

from hooksmith.service.jobs.queue import build_queue, run_worker
from hooksmith.service.jobs.runs import JobContext
from hooksmith.service.runtime import Runtime
from hooksmith.settings import Settings

log = logging.getLogger(__name__)


class NoJobQueue(Exception):
    """The settings name no job queue (SQLite database, or `HOOKSMITH_QUEUE=inprocess`)."""


async def work(settings: Settings, *, concurrency: int, name: str | None = None) -> None:
    """Execute queued runs and deliver callbacks until SIGINT or SIGTERM."""
    if not settings.uses_job_queue():
        raise NoJobQueue(
            "no job queue is configured: set HOOKSMITH_DATABASE_URL to a PostgreSQL database "
            "(or HOOKSMITH_QUEUE=postgres); with SQLite, async runs execute inside the server"
        )
    # The runtime's own dispatcher only defers (callbacks); this process works the queue below.
    runtime = await Runtime.open(
        settings.model_copy(update={"server_worker_concurrency": 0}), serving=False
    )
    try:
        ctx = JobContext.of(
            settings, runtime.sessions, runtime.cache, runtime.engine, runtime.metrics
        )
        app = build_queue(settings.resolved_database_url(), ctx, pool_size=concurrency + 4)
        async with app.open_async():
            log.info("hooksmith worker %s: concurrency %d", name or "", concurrency)
            await run_worker(
                app,
                concurrency=concurrency,
                heartbeat_seconds=settings.worker_heartbeat_seconds,
                stalled_seconds=settings.worker_stalled_seconds,
                name=name,
            )
    finally:
        await runtime.close()
