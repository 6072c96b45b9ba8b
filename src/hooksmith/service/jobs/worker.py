"""A worker process: the database, the engine and a webhook cache, working the job queue (none
of the server's callers, sessions, limits or run writer)."""

from __future__ import annotations

import logging

from hooksmith.service.cache import WebhookCache
from hooksmith.service.database import open_database
from hooksmith.service.jobs.queue import build_queue, run_worker
from hooksmith.service.jobs.runs import JobContext
from hooksmith.service.metrics import Metrics
from hooksmith.service.oauth_tokens import StoredTokens
from hooksmith.service.runtime import change_notices, open_engine
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
    database = await open_database(settings)
    engine = await open_engine(settings, tokens=StoredTokens(database.open_db, database.box))
    cache = WebhookCache(database.open_db, database.box, max_age=settings.webhook_cache_seconds)
    notices = await change_notices(database.url, cache)
    try:
        ctx = JobContext.of(settings, database.open_db, cache, engine, Metrics())
        app = build_queue(database.url, ctx, pool_size=concurrency + 4)
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
        await notices.close()
        await engine.close()
        await database.close()
