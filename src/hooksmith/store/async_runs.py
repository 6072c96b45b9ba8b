"""Asynchronous runs in the store: accepted with their conversation, taken up by a worker (maybe
again, after a crash), finished, and their callbacks due, delivered, retried or expired.

The runs table is the record of truth: the job queue only says *when* to look at a run, so a
job that runs twice finds the run done and does nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import Result, TraceContext
from hooksmith.store.models import RunRow, utcnow
from hooksmith.store.runs import RESPONSE_LIMIT, pending_run, record_result


@dataclass(frozen=True)
class Claimed:
    """A run a worker took up: what to execute, and how many times it was taken up so far."""

    run_id: str
    webhook_id: int
    company_id: int
    conversation: dict[str, Any]
    attempts: int
    trace: TraceContext | None = None
    mock: bool = False  # answer from the webhook's sample, send nothing


@dataclass(frozen=True)
class DueCallback:
    """A finished run whose result is still to be delivered to its `callback_url`."""

    run_id: str
    company_id: int
    url: str
    result: dict[str, Any]
    attempts: int
    expires_at: datetime | None


class AsyncRunRepository:
    """Queries of asynchronous runs and their callbacks (no tenant scope: workers act for all)."""

    def __init__(self, db: AsyncSession, *, response_limit: int = RESPONSE_LIMIT) -> None:
        self.db = db
        self.response_limit = response_limit

    async def accept(
        self,
        *,
        webhook_id: int,
        company_id: int,
        webhook_revision: int,
        conversation: Mapping[str, Any],
        session_id: str | None,
        callback_url: str | None = None,
        callback_expires_at: datetime | None = None,
        trace: TraceContext | None = None,
        mock: bool = False,
    ) -> RunRow:
        """Record a pending `live` run with what a worker needs to execute it (`mock`: to
        answer it from the webhook's sample)."""
        row = pending_run(
            webhook_id=webhook_id,
            company_id=company_id,
            webhook_revision=webhook_revision,
            kind="live",
            session_id=session_id,
        )
        row.conversation = dict(conversation)
        row.attempts = 0
        row.callback_url = callback_url
        row.callback_status = "waiting" if callback_url else None
        row.callback_attempts = 0
        row.callback_expires_at = callback_expires_at
        row.traceparent = trace.traceparent if trace else None
        row.tracestate = trace.state if trace else None
        row.mock = mock
        self.db.add(row)
        await self.db.flush()
        return row

    async def claim(self, run_id: str) -> Claimed | None:
        """Mark the run running and count the attempt; None when it is done or gone."""
        row = await self.db.get(RunRow, run_id, with_for_update=True)
        if row is None or row.status == "done":
            return None
        row.status = "running"
        row.attempts = (row.attempts or 0) + 1
        await self.db.flush()
        return Claimed(
            run_id=row.id,
            webhook_id=row.webhook_id,
            company_id=row.company_id,
            conversation=dict(row.conversation or {}),
            attempts=row.attempts,
            trace=TraceContext.parse(row.traceparent, row.tracestate),
            mock=bool(row.mock),
        )

    async def complete(self, run_id: str, result: Result, *, now: datetime | None = None) -> bool:
        """Store the result, forget the conversation, make a waiting callback due.

        Returns False when the run was already done (a repeated job) or no longer exists.
        """
        row = await self.db.get(RunRow, run_id, with_for_update=True)
        if row is None or row.status == "done":
            return False
        moment = now or utcnow()
        record_result(row, result, self.response_limit, moment)
        row.conversation = None
        if row.callback_status == "waiting":
            row.callback_status = "pending"
            row.callback_next_at = moment
        await self.db.flush()
        return True

    async def unfinished(self, limit: int = 1000) -> Sequence[str]:
        """Ids of accepted runs not yet done, oldest first (for the in-process fallback)."""
        rows = await self.db.scalars(
            select(RunRow.id)
            .where(RunRow.status != "done", RunRow.conversation.is_not(None))
            .order_by(RunRow.created_at)
            .limit(limit)
        )
        return rows.all()

    async def unfinished_counts(self) -> dict[str, int]:
        """How many runs are pending and running now (the async queue's depth), by status."""
        rows = await self.db.execute(
            select(RunRow.status, func.count())
            .where(RunRow.status.in_(("pending", "running")))
            .group_by(RunRow.status)
        )
        counts = {"pending": 0, "running": 0}
        counts.update({row[0]: row[1] for row in rows.all()})
        return counts

    async def stale_pending(self, older_than: datetime, limit: int = 500) -> Sequence[str]:
        """Ids of accepted runs still pending since before `older_than`, oldest first."""
        rows = await self.db.scalars(
            select(RunRow.id)
            .where(
                RunRow.status == "pending",
                RunRow.conversation.is_not(None),
                RunRow.created_at < older_than,
            )
            .order_by(RunRow.created_at)
            .limit(limit)
        )
        return rows.all()

    async def due_callbacks(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> Sequence[str]:
        """Ids of runs whose callback is pending and due by `now` (or overdue)."""
        moment = now or utcnow()
        rows = await self.db.scalars(
            select(RunRow.id)
            .where(
                RunRow.callback_status == "pending",
                or_(RunRow.callback_next_at.is_(None), RunRow.callback_next_at <= moment),
            )
            .order_by(RunRow.callback_next_at)
            .limit(limit)
        )
        return rows.all()

    async def callback(self, run_id: str) -> DueCallback | None:
        """The pending callback of the run, or None when there is none (delivered, expired…)."""
        row = await self.db.get(RunRow, run_id)
        if row is None or row.callback_status != "pending" or row.callback_url is None:
            return None
        return DueCallback(
            run_id=row.id,
            company_id=row.company_id,
            url=row.callback_url,
            result=row.result or {},
            attempts=row.callback_attempts,
            expires_at=row.callback_expires_at,
        )

    async def callback_delivered(self, run_id: str) -> None:
        await self._callback(run_id, status="delivered", error=None, next_at=None)

    async def callback_retry(self, run_id: str, *, next_at: datetime, error: str) -> None:
        await self._callback(run_id, status="pending", error=error, next_at=next_at)

    async def callback_gave_up(self, run_id: str, *, status: str, error: str) -> None:
        """Stop delivering: `expired` (ran out of time) or `refused` (never deliverable)."""
        await self._callback(run_id, status=status, error=error, next_at=None)

    async def _callback(
        self, run_id: str, *, status: str, error: str | None, next_at: datetime | None
    ) -> None:
        await self.db.execute(
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.callback_status == "pending")
            .values(
                callback_status=status,
                callback_attempts=RunRow.callback_attempts + 1,
                callback_error=error[:500] if error else None,
                callback_next_at=next_at,
            )
        )
