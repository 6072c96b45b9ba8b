"""Run use cases: test runs, live and asynchronous executions, run history and retention."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import ExecutionMode, Result, TraceContext
from hooksmith.service.actors import Actor
from hooksmith.service.cache import ready
from hooksmith.service.errors import InvalidInput, NotFound
from hooksmith.service.execution import (
    answer_from_sample,
    conversation_or_refuse,
    run_webhook,
    session_id_of,
)
from hooksmith.service.jobs.runs import accept, checked_callback_url
from hooksmith.service.runtime import Runtime
from hooksmith.service.samples import mocked
from hooksmith.service.tasks import cancel_and_wait
from hooksmith.service.webhooks import PAGE_SIZE, Page, webhook_in
from hooksmith.store import NewRun, RunRepository, WebhookRepository
from hooksmith.store.models import RunRow, utcnow

log = logging.getLogger(__name__)


class RunView(BaseModel):
    """A stored run: which webhook revision ran, how it went and its result object."""

    id: str
    webhook_id: int
    webhook_revision: int
    kind: str
    status: str
    session_id: str | None
    ok: bool | None
    http_status: int | None
    duration_ms: float | None
    error_kind: str | None
    response_truncated: bool
    result: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None
    attempts: int = 0
    callback_status: str | None = None
    callback_attempts: int = 0
    callback_error: str | None = None
    revision_url: str = ""  # the API address of the webhook revision this run used
    mock: bool = False  # answered from the webhook's sample; nothing was sent


@dataclass(frozen=True)
class PendingRun:
    """The answer to an asynchronous execution: the run to fetch later."""

    run_id: str
    status: str = "pending"


def run_view(row: RunRow) -> RunView:
    return RunView(
        id=row.id,
        webhook_id=row.webhook_id,
        webhook_revision=row.webhook_revision,
        kind=row.kind,
        status=row.status,
        session_id=row.session_id,
        ok=row.ok,
        http_status=row.http_status,
        duration_ms=row.duration_ms,
        error_kind=row.error_kind,
        response_truncated=row.response_truncated,
        result=row.result,
        created_at=row.created_at,
        finished_at=row.finished_at,
        attempts=row.attempts or 0,
        callback_status=row.callback_status,
        callback_attempts=row.callback_attempts or 0,
        callback_error=row.callback_error,
        revision_url=f"/api/v1/webhooks/{row.webhook_id}/revisions/{row.webhook_revision}",
        mock=bool(row.mock),
    )


async def run_test(
    rt: Runtime, db: AsyncSession, actor: Actor, webhook_id: int, conversation: Any
) -> RunView:
    """Run the stored webhook with sample conversation data and store it as a `test` run."""
    data = conversation_or_refuse(conversation, "conversation")
    repository = WebhookRepository(db, rt.box)
    row = await webhook_in(repository, actor.scope, webhook_id)
    prepared = ready(repository, row)
    await db.commit()  # end the read before the request, which may take seconds
    async with rt.limits.admit(prepared.company_id):
        started = time.perf_counter()
        result = await run_webhook(
            rt.engine, prepared, data, margin=rt.margin, values=rt.cache.values
        )
    rt.metrics.count("test", result, time.perf_counter() - started)
    runs = RunRepository(db, response_limit=rt.body_limit)
    run = await runs.add(
        webhook_id=prepared.id,
        company_id=prepared.company_id,
        webhook_revision=prepared.revision,
        kind="test",
        session_id=session_id_of(data),
    )
    finished = await runs.finish(run.id, result)
    await db.commit()
    assert finished is not None
    return run_view(finished)


async def execute(
    rt: Runtime,
    actor: Actor,
    webhook_id: int,
    conversation: Any,
    *,
    callback_url: str | None = None,
    trace: TraceContext | None = None,
) -> Result | PendingRun:
    """The runtime API: a sync webhook's result (stored as a `live` run off the response path),
    or for an async webhook the id of its pending run (result later by id or `callback_url`).
    `trace`, the bot's W3C trace, goes on to the upstream (kept with an async run for that).
    A staging token of a company that mocks gets the answer from the webhook's sample instead,
    sync or async, and nothing is sent (docs/design.md#mock-answers)."""
    data = conversation_or_refuse(conversation, "body")
    callback = checked_callback_url(callback_url, rt.engine.policy)
    prepared = await rt.cache.get(actor.scope, webhook_id)
    if prepared is None:
        raise NotFound(f"no webhook with id {webhook_id}")
    mock = await mocked(rt, actor, prepared)
    if prepared.webhook.execution is ExecutionMode.ASYNC:
        rt.limits.take(prepared.company_id)
        run_id = await accept(
            rt.open_db,
            rt.dispatcher,
            prepared,
            data,
            session_id=session_id_of(data),
            callback_url=callback,
            callback_expiry=rt.settings.callback_expiry_seconds,
            trace=trace,
            mock=mock is not None,
        )
        return PendingRun(run_id=run_id)
    if callback is not None:
        raise InvalidInput(
            "callback_url: only an async webhook answers through a callback; "
            "a sync webhook returns its result in the response",
            field="callback_url",
        )
    async with rt.limits.admit(prepared.company_id):
        started = time.perf_counter()
        if mock is not None:
            result = await answer_from_sample(
                rt.engine, prepared, data, mock.sample, margin=rt.margin, values=rt.cache.values
            )
        else:
            result = await run_webhook(
                rt.engine, prepared, data, margin=rt.margin, trace=trace, values=rt.cache.values
            )
    rt.metrics.count("live", result, time.perf_counter() - started)
    rt.writer.submit(
        NewRun(
            webhook_id=prepared.id,
            company_id=prepared.company_id,
            webhook_revision=prepared.revision,
            result=result,
            kind="live",
            session_id=session_id_of(data),
        )
    )
    return result


async def get_run(db: AsyncSession, actor: Actor, run_id: str) -> RunView:
    row = await RunRepository(db).get(actor.scope, run_id)
    if row is None:
        raise NotFound(f"no run with id {run_id}")
    return run_view(row)


async def list_runs(
    rt: Runtime,
    db: AsyncSession,
    actor: Actor,
    webhook_id: int,
    *,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> Page[RunView]:
    """One page of a webhook's run history, newest first."""
    await webhook_in(WebhookRepository(db, rt.box), actor.scope, webhook_id)
    rows, total = await RunRepository(db).list_for_webhook(
        actor.scope, webhook_id, offset=offset, limit=limit
    )
    return Page(items=[run_view(row) for row in rows], total=total, offset=offset, limit=limit)


async def prune_runs(
    open_db: async_sessionmaker[AsyncSession],
    retention_days: float,
    *,
    now: datetime | None = None,
) -> int:
    """Delete every run older than `retention_days`; returns how many were deleted."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    async with open_db() as db:
        deleted = await RunRepository(db).prune(cutoff)
        await db.commit()
    return deleted


class RetentionTask:
    """Prunes old runs now and then, for as long as the server runs."""

    def __init__(
        self, open_db: async_sessionmaker[AsyncSession], *, days: float, every: float
    ) -> None:
        self.open_db = open_db
        self.days = days
        self.every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="hooksmith-run-retention")

    async def close(self) -> None:
        await cancel_and_wait(self._task)

    async def _loop(self) -> None:
        while True:
            try:
                deleted = await prune_runs(self.open_db, self.days)
            except Exception:
                log.exception("pruning old runs failed")
            else:
                if deleted:
                    log.info("pruned %d runs older than %g days", deleted, self.days)
            await asyncio.sleep(self.every)
