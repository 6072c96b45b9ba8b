"""The two jobs of asynchronous execution, whichever queue carries them: perform a run, then
deliver its callback. Both read the run from the store and may safely run more than once.

A run's job marks the run running, executes it with `Idempotency-Key: <run id>` (the same on
every attempt, so a receiver that sees a worker's crash-retry can drop the repeat), stores the
result and makes a waiting callback due. A callback job sends one signed attempt and either
records the delivery, schedules the next attempt (exponential backoff, full jitter) or gives up
at the expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import (
    Backoff,
    EgressBlocked,
    EgressPolicy,
    Engine,
    Result,
    ResultError,
    TraceContext,
    check_host,
    check_path,
)
from hooksmith.service.cache import ReadyWebhook, WebhookCache
from hooksmith.service.callback_secrets import signing_keys
from hooksmith.service.errors import InvalidInput
from hooksmith.service.execution import answer_from_sample, run_webhook, stored_sample
from hooksmith.service.jobs.callbacks import callback_body, deliver
from hooksmith.settings import Settings
from hooksmith.store import Scope, load_or_create_key
from hooksmith.store.async_runs import AsyncRunRepository
from hooksmith.store.models import utcnow

_NOT_IN_URL = re.compile(r"[\x00-\x20\x7f]")

if TYPE_CHECKING:
    from hooksmith.service.metrics import Metrics

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    """Runs a stored pending run some time after `submit` returns (dispatch.py, queue.py)."""

    async def submit(self, run_id: str) -> None: ...

    async def close(self) -> None: ...


def callback_secret(settings: Settings) -> bytes:
    """The key that signs callbacks: `HOOKSMITH_CALLBACK_SECRET`, else derived from the first
    secret key (so every server and worker sharing `HOOKSMITH_SECRET_KEY` signs alike)."""
    if settings.callback_secret is not None:
        return settings.callback_secret.get_secret_value().encode()
    if settings.secret_key is None:
        key = load_or_create_key(settings.var_dir)
    else:
        key = settings.secret_key.get_secret_value()
    first = key.split(",")[0].strip().encode()
    return hmac.new(first, b"hooksmith callback signing", hashlib.sha256).hexdigest().encode()


@dataclass(frozen=True)
class JobContext:
    """What the jobs need from the process they run in."""

    open_db: async_sessionmaker[AsyncSession]
    cache: WebhookCache
    engine: Engine
    margin: float
    response_limit: int
    secret: bytes
    backoff: Backoff
    callback_timeout: float
    metrics: Metrics | None = None

    @classmethod
    def of(
        cls,
        settings: Settings,
        open_db: async_sessionmaker[AsyncSession],
        cache: WebhookCache,
        engine: Engine,
        metrics: Metrics | None = None,
    ) -> JobContext:
        return cls(
            open_db=open_db,
            cache=cache,
            engine=engine,
            margin=settings.execute_margin_seconds,
            response_limit=settings.run_body_limit,
            secret=callback_secret(settings),
            backoff=Backoff(
                base=settings.callback_backoff_seconds,
                cap=settings.callback_backoff_max_seconds,
            ),
            callback_timeout=settings.callback_timeout_seconds,
            metrics=metrics,
        )


async def perform_run(ctx: JobContext, run_id: str) -> bool:
    """Execute the pending run `run_id`; returns True when its callback is now due.

    A run that is already done (the job ran before, and its worker died before the queue heard
    of it) is not executed again.
    """
    async with ctx.open_db() as db:
        claimed = await AsyncRunRepository(db).claim(run_id)
        await db.commit()
    if claimed is None:
        return await _callback_due(ctx, run_id)
    found = await ctx.cache.get(Scope.everything(), claimed.webhook_id)
    started = time.perf_counter()
    if claimed.mock and found is not None:
        async with ctx.open_db() as db:
            sample = await stored_sample(db, found.id)
        result = await answer_from_sample(
            ctx.engine,
            found,
            claimed.conversation,
            sample,
            margin=ctx.margin,
            values=ctx.cache.values,
        )
    else:
        result = await _execute(ctx, found, run_id, claimed.conversation, claimed.trace)
    if ctx.metrics is not None:
        ctx.metrics.count("async", result, time.perf_counter() - started)
    async with ctx.open_db() as db:
        await AsyncRunRepository(db, response_limit=ctx.response_limit).complete(run_id, result)
        await db.commit()
    return await _callback_due(ctx, run_id)


async def _execute(
    ctx: JobContext,
    found: ReadyWebhook | None,
    run_id: str,
    conversation: Mapping[str, Any],
    trace: TraceContext | None,
) -> Result:
    if found is None:
        return Result(
            ok=False,
            error=ResultError(kind="invalid_definition", message="the webhook was deleted"),
        )
    # The run id is the key, so an upstream can drop a repeat after a worker died mid-run.
    return await run_webhook(
        ctx.engine,
        found,
        conversation,
        margin=ctx.margin,
        idempotency_key=run_id,
        trace=trace,
        values=ctx.cache.values,
    )


async def _callback_due(ctx: JobContext, run_id: str) -> bool:
    async with ctx.open_db() as db:
        return await AsyncRunRepository(db).callback(run_id) is not None


async def deliver_callback(ctx: JobContext, run_id: str) -> datetime | None:
    """One delivery attempt of the run's callback; returns when to try again, or None when
    nothing is left to do (delivered, expired, refused, or no callback)."""
    async with ctx.open_db() as db:
        due = await AsyncRunRepository(db).callback(run_id)
    if due is None:
        return None
    now = utcnow()
    if due.expires_at is not None and now >= due.expires_at:
        await _record(ctx, run_id, gave_up="expired", error="the callback expired undelivered")
        return None
    body = callback_body(due.result, run_id)
    keys = await signing_keys(ctx.open_db, ctx.cache.box, ctx.secret, due.company_id)
    delivery = await deliver(
        ctx.engine.transport,
        due.url,
        body,
        secrets=keys,
        run_id=run_id,
        timeout=ctx.callback_timeout,
    )
    if delivery.ok:
        await _record(ctx, run_id)
        return None
    if delivery.final:
        await _record(ctx, run_id, gave_up="refused", error=delivery.detail)
        return None
    # after n failed attempts, a wait of up to base·2ⁿ (the retry after them is number n + 1)
    next_at = now + timedelta(seconds=ctx.backoff.delay(due.attempts + 1))
    if due.expires_at is not None:
        next_at = min(next_at, due.expires_at)
    log.info("callback of run %s failed (%s); next attempt at %s", run_id, delivery.detail, next_at)
    async with ctx.open_db() as db:
        await AsyncRunRepository(db).callback_retry(run_id, next_at=next_at, error=delivery.detail)
        await db.commit()
    return next_at


async def _record(
    ctx: JobContext, run_id: str, *, gave_up: str | None = None, error: str = ""
) -> None:
    async with ctx.open_db() as db:
        runs = AsyncRunRepository(db)
        if gave_up is None:
            await runs.callback_delivered(run_id)
        else:
            await runs.callback_gave_up(run_id, status=gave_up, error=error)
        await db.commit()


def checked_callback_url(url: str | None, policy: EgressPolicy) -> str | None:
    """The callback URL if it is an absolute http(s) URL without credentials or whitespace whose
    host the egress guard accepts by name or literal (what a name resolves to is checked again
    at every delivery); else `InvalidInput`, and nothing is queued."""
    if url is None:
        return None
    field = "callback_url"
    if len(url) > 2000 or _NOT_IN_URL.search(url):
        raise InvalidInput(
            f"{field}: must be at most 2000 characters without spaces or control characters",
            field=field,
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput(f"{field}: not a valid URL", field=field) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(f"{field}: must be an absolute http(s) URL", field=field)
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(f"{field}: must not carry a user name or password", field=field)
    try:
        check_host(parts.hostname, policy, port)
        default_port = 443 if parts.scheme == "https" else 80
        check_path(parts.hostname, policy, port or default_port, unquote(parts.path) or "/")
    except EgressBlocked as blocked:
        message = blocked.message.removeprefix("egress_blocked: ")
        raise InvalidInput(f"{field}: {message}", field=field) from None
    return url


async def accept(
    open_db: async_sessionmaker[AsyncSession],
    dispatcher: Dispatcher,
    found: ReadyWebhook,
    conversation: Mapping[str, Any],
    *,
    session_id: str | None,
    callback_url: str | None,
    callback_expiry: float,
    trace: TraceContext | None = None,
    mock: bool = False,
) -> str:
    """Store a pending run of an async webhook (with the bot's trace, which its execution
    passes on; `mock`: answered from the webhook's sample), hand it to the dispatcher, return
    its id."""
    async with open_db() as db:
        row = await AsyncRunRepository(db).accept(
            webhook_id=found.id,
            company_id=found.company_id,
            webhook_revision=found.revision,
            conversation=conversation,
            session_id=session_id,
            callback_url=callback_url,
            callback_expires_at=(
                utcnow() + timedelta(seconds=callback_expiry) if callback_url else None
            ),
            trace=trace,
            mock=mock,
        )
        await db.commit()
    await dispatcher.submit(row.id)
    return row.id
