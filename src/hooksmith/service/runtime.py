"""The long-lived parts of a server process, built once from the settings and closed once."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import EgressPolicy, Engine, RendererPool, TokenStore
from hooksmith.service.actors import Actors
from hooksmith.service.cache import WebhookCache
from hooksmith.service.cookies import SessionCodec, derive_session_secret
from hooksmith.service.database import Database, open_database
from hooksmith.service.invalidation import LocalNotices, Notices, PostgresNotices
from hooksmith.service.jobs.dispatch import InProcessDispatcher
from hooksmith.service.jobs.queue import QueueDispatcher
from hooksmith.service.jobs.runs import Dispatcher, JobContext
from hooksmith.service.jobs.writer import RunWriter
from hooksmith.service.limits import CompanyLimits
from hooksmith.service.metrics import Metrics
from hooksmith.service.oauth_tokens import StoredTokens
from hooksmith.service.probes import ReadinessProbe
from hooksmith.service.roll import ServerRoll
from hooksmith.service.signed_in import SignedInSessions
from hooksmith.service.signin import Schedule, SignInThrottle
from hooksmith.settings import Settings
from hooksmith.store import (
    SecretBox,
    load_or_create_key,
)

GC_THRESHOLD = (10_000, 20, 20)


@dataclass
class Runtime:
    """The database, the secret box, the one HTTP engine, the caches and the background writers."""

    settings: Settings
    database: Database
    open_db: async_sessionmaker[AsyncSession]
    box: SecretBox
    engine: Engine
    cache: WebhookCache
    actors: Actors
    writer: RunWriter
    dispatcher: Dispatcher
    notices: Notices
    cookies: SessionCodec
    signed_in: SignedInSessions
    limits: CompanyLimits
    sign_ins: SignInThrottle
    metrics: Metrics
    readiness: ReadinessProbe
    roll: ServerRoll | None = None  # servers sharing PostgreSQL take their share of limits
    gc_threshold: tuple[int, int, int] = field(default=(700, 10, 10), repr=False)

    @property
    def margin(self) -> float:
        return self.settings.execute_margin_seconds

    @property
    def body_limit(self) -> int:
        return self.settings.run_body_limit

    @classmethod
    async def open(cls, settings: Settings, *, trusted_egress: Iterable[str] = ()) -> Runtime:
        """A server's runtime: migrate (unless told not to), connect, start the background
        writer and, on PostgreSQL, join the roll of servers that share the per-company limits.

        `trusted_egress` adds egress exemptions to `settings.egress_allow`, e.g. the server's
        own address so the demo webhook can reach the built-in echo endpoint.
        """
        database = await open_database(settings)
        url, open_db, box = database.url, database.open_db, database.box
        key = settings.secret_key.get_secret_value() if settings.secret_key else None
        engine = await open_engine(settings, trusted_egress, tokens=StoredTokens(open_db, box))
        cache = WebhookCache(open_db, box, max_age=settings.webhook_cache_seconds)
        signed_in = SignedInSessions(
            open_db,
            idle_seconds=settings.session_idle_seconds,
            max_age=settings.session_max_age,
            cache_seconds=settings.session_cache_seconds,
        )
        cookies = SessionCodec(_session_secret(settings, key), max_age=settings.session_max_age)
        actors = Actors(open_db, cookies, signed_in, max_age=settings.webhook_cache_seconds)
        notices = await change_notices(url, cache, actors, signed_in)
        writer = RunWriter(
            open_db,
            response_limit=settings.run_body_limit,
            interval=settings.run_writer_interval,
            batch_size=settings.run_writer_batch,
        )
        writer.start()
        metrics = Metrics()
        dispatcher: Dispatcher
        jobs = JobContext.of(settings, open_db, cache, engine, metrics)
        if settings.uses_job_queue():
            queued = await QueueDispatcher.open(
                settings, jobs, concurrency=settings.server_worker_concurrency
            )
            queued.start_sweeping(
                open_db, every=settings.run_sweep_seconds, stale_seconds=settings.run_stale_seconds
            )
            dispatcher = queued
        else:
            in_process = InProcessDispatcher(jobs)
            await in_process.recover()
            dispatcher = in_process
        sign_ins = SignInThrottle(
            accounts=Schedule(
                free=settings.sign_in_free_failures, max_lock=settings.sign_in_max_lock_seconds
            ),
            addresses=Schedule(
                free=settings.sign_in_address_free_failures,
                max_lock=settings.sign_in_max_lock_seconds,
            ),
        )
        metrics.watch(engine, writer, sign_ins, open_db)
        limits = CompanyLimits(
            rate=settings.company_rate_per_second,
            burst=settings.company_rate_burst,
            concurrency=settings.company_concurrency,
        )
        runtime = cls(
            settings=settings,
            database=database,
            open_db=open_db,
            box=box,
            engine=engine,
            cache=cache,
            actors=actors,
            notices=notices,
            writer=writer,
            dispatcher=dispatcher,
            cookies=cookies,
            signed_in=signed_in,
            sign_ins=sign_ins,
            limits=limits,
            metrics=metrics,
            readiness=ReadinessProbe(
                url,
                timeout=settings.readiness_timeout_seconds,
                queue=dispatcher if isinstance(dispatcher, QueueDispatcher) else None,
            ),
        )
        if url.startswith("postgresql"):
            runtime.roll = ServerRoll(open_db, limits, every=settings.server_heartbeat_seconds)
            await runtime.roll.start()
        # Everything loaded so far (modules, the app, the runtime) lives as long as the process:
        # kept out of the garbage collector's sight, a full collection under load scans only the
        # requests' objects (the service bench at 64 connections: ~170k objects fewer to scan,
        # the typical full-collection pause fell from ~110 ms to ~13 ms). `close` hands them back.
        if settings.freeze_heap:
            gc.collect()
            gc.freeze()
        # A request leaves a few hundred objects that outlive it briefly (results queued for the
        # writer, pooled connections' state): at the default threshold of 700 the young
        # collections ran every few requests and cost 60-150 µs per execution at 64
        # connections; at 10,000 about 20-35 µs (measured with gc.callbacks, CPU time).
        runtime.gc_threshold = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLD)
        return runtime

    async def close(self) -> None:
        """Finish pending async runs, write queued live runs, then close connections."""
        await self.dispatcher.close()
        await self.writer.close()
        await self.notices.close()
        if self.roll is not None:
            await self.roll.close()
        await self.engine.close()
        await self.readiness.close()
        await self.database.close()
        gc.set_threshold(*self.gc_threshold)
        gc.unfreeze()


async def open_engine(
    settings: Settings, trusted_egress: Iterable[str] = (), *, tokens: TokenStore | None = None
) -> Engine:
    """The process's one HTTP engine, with its renderer processes (started now if configured);
    `tokens` shares OAuth2 tokens with the other servers and workers."""
    allow = ",".join(part for part in (settings.egress_allow, *trusted_egress) if part)
    renderers = RendererPool(
        processes=settings.renderer_processes, memory_mb=settings.renderer_memory_mb
    )
    if settings.renderers_at_start:
        await renderers.start()
    return Engine(
        policy=EgressPolicy.from_setting(allow or None),
        max_response_bytes=settings.max_response_bytes,
        result_body_limit=settings.run_body_limit,
        proxy=settings.proxy,
        renderers=renderers,
        outbound=settings.outbound_limits(),
        tokens=tokens,
    )


async def change_notices(
    url: str,
    cache: WebhookCache,
    actors: Actors | None = None,
    signed_in: SignedInSessions | None = None,
) -> Notices:
    """Change notices between processes: LISTEN/NOTIFY on PostgreSQL, none on SQLite. A worker
    hears only of webhooks (it has no callers or sessions)."""
    if not url.startswith("postgresql"):
        return LocalNotices()

    def heard(kind: str, ident: int) -> None:
        if kind == "webhook":
            cache.invalidate(ident)
        elif kind == "company":
            cache.values.invalidate(ident)
        elif kind == "token" and actors is not None:
            actors.forget_token(ident)
        elif kind == "user" and signed_in is not None:
            signed_in.forget_user(ident)

    notices = await PostgresNotices.open(url, heard)
    cache.announce = lambda webhook_id: notices.announce("webhook", webhook_id)
    cache.values.announce = lambda company_id: notices.announce("company", company_id)
    if actors is not None:
        actors.announce = lambda token_id: notices.announce("token", token_id)
    if signed_in is not None:
        signed_in.announce = lambda user_id: notices.announce("user", user_id)
    return notices


def _session_secret(settings: Settings, key: str | None) -> str:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    return derive_session_secret(key or load_or_create_key(settings.var_dir))
