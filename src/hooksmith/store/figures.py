"""Figures of finished runs over a time window, aggregated in SQL: per bucket of time the
outcomes, the p50 and p95 latency, and the status codes; per webhook of a list, the runs and
successes per bucket (its sparkline).

Every query reads only the window's runs of the given webhooks from the index
`ix_runs_webhook_figures` alone (it holds every column read here, so no stored result is
touched) and returns at most a row per bucket and outcome, whatever the number of runs. The same
SQL runs on SQLite and PostgreSQL: buckets are a CASE over the window's boundaries, and
percentiles are nearest-rank over `row_number()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import get_args

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import Outcome
from hooksmith.store.models import RunRow
from hooksmith.store.scope import Scope

OUTCOMES: tuple[str, ...] = get_args(Outcome)
"""The outcomes of a result (docs/design.md#the-result-and-error-kinds), in chart order."""


@dataclass(frozen=True)
class Window:
    """`buckets` consecutive spans of `bucket` each, the first starting at `since`.

    >>> from datetime import UTC
    >>> w = Window(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1), 24)
    >>> w.until.isoformat(), w.start_of(2).hour
    ('2026-01-02T00:00:00+00:00', 2)
    """

    since: datetime
    bucket: timedelta
    buckets: int

    @property
    def until(self) -> datetime:
        return self.since + self.bucket * self.buckets

    def start_of(self, index: int) -> datetime:
        return self.since + self.bucket * index


@dataclass
class Bucket:
    """The finished runs of one span: their count by outcome and latency percentiles (ms)."""

    index: int
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def runs(self) -> int:
        return sum(self.outcomes.values())


@dataclass(frozen=True)
class WebhookFigures:
    """A webhook's finished runs in a window: per bucket, and their status codes (None: no
    reply) with how many runs had each."""

    window: Window
    buckets: list[Bucket]
    status_codes: list[tuple[int | None, int]]


@dataclass(frozen=True)
class Tally:
    """How many finished runs a span held and how many of them succeeded."""

    runs: int = 0
    successes: int = 0


def _bucket_of(window: Window) -> ColumnElement[int]:
    """The bucket index of a run's `created_at`, as a CASE over the window's boundaries."""
    whens = [
        (RunRow.created_at < window.start_of(index + 1), index) for index in range(window.buckets)
    ]
    return case(*whens, else_=window.buckets)


def _outcome() -> ColumnElement[str]:
    """The outcome of a run from `ok` and `error_kind`, as `outcome_of` computes it."""
    return case(
        (RunRow.ok.is_(True), "success"),
        (RunRow.error_kind == "egress_blocked", "blocked"),
        (RunRow.error_kind == "timeout", "timeout"),
        (RunRow.error_kind == "http_error", "http_error"),
        else_="failed",
    )


def _in_window(scope: Scope, window: Window) -> ColumnElement[bool]:
    return and_(
        RunRow.status == "done",
        RunRow.created_at >= window.since,
        RunRow.created_at < window.until,
        scope.condition(RunRow.company_id),
    )


class RunFigureRepository:
    """Aggregates of runs for charts, always read through a `Scope`."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def for_webhook(self, scope: Scope, webhook_id: int, window: Window) -> WebhookFigures:
        """The webhook's finished runs in `window`: outcomes, p50/p95 and status codes."""
        where = and_(RunRow.webhook_id == webhook_id, _in_window(scope, window))
        buckets = [Bucket(index) for index in range(window.buckets)]

        runs = select(_bucket_of(window).label("bucket"), _outcome().label("outcome")).where(where)
        inner = runs.subquery()
        counted = await self.db.execute(
            select(inner.c.bucket, inner.c.outcome, func.count()).group_by(
                inner.c.bucket, inner.c.outcome
            )
        )
        for index, outcome, count in counted:
            buckets[index].outcomes[outcome] = count

        timed = (
            select(_bucket_of(window).label("bucket"), RunRow.duration_ms.label("ms"))
            .where(where, RunRow.duration_ms.is_not(None))
            .subquery()
        )
        ranked = select(
            timed.c.bucket,
            timed.c.ms,
            func.row_number().over(partition_by=timed.c.bucket, order_by=timed.c.ms).label("rank"),
            func.count().over(partition_by=timed.c.bucket).label("n"),
        ).subquery()
        # Nearest rank: the p-th percentile is the value at rank ceil(p * n).
        percentiles = await self.db.execute(
            select(
                ranked.c.bucket,
                func.min(case((ranked.c.rank * 100 >= ranked.c.n * 50, ranked.c.ms))),
                func.min(case((ranked.c.rank * 100 >= ranked.c.n * 95, ranked.c.ms))),
            ).group_by(ranked.c.bucket)
        )
        for index, p50, p95 in percentiles:
            buckets[index].p50_ms, buckets[index].p95_ms = p50, p95

        statuses = await self.db.execute(
            select(RunRow.http_status, func.count())
            .where(where)
            .group_by(RunRow.http_status)
            .order_by(RunRow.http_status)
        )
        codes = sorted(((code, count) for code, count in statuses), key=_code_order)
        return WebhookFigures(window=window, buckets=buckets, status_codes=codes)

    async def tallies(
        self, scope: Scope, webhook_ids: Sequence[int], window: Window
    ) -> dict[int, list[Tally]]:
        """Per webhook of `webhook_ids`, its runs and successes per bucket, in one query."""
        tallies = {webhook_id: [Tally()] * window.buckets for webhook_id in webhook_ids}
        if not webhook_ids:
            return tallies
        inner = (
            select(
                RunRow.webhook_id.label("webhook_id"),
                _bucket_of(window).label("bucket"),
                case((RunRow.ok.is_(True), 1), else_=0).label("success"),
            )
            .where(RunRow.webhook_id.in_(webhook_ids), _in_window(scope, window))
            .subquery()
        )
        rows = await self.db.execute(
            select(
                inner.c.webhook_id, inner.c.bucket, func.count(), func.sum(inner.c.success)
            ).group_by(inner.c.webhook_id, inner.c.bucket)
        )
        for webhook_id, index, runs, successes in rows:
            tallies[webhook_id][index] = Tally(runs=runs, successes=int(successes or 0))
        return tallies


def _code_order(item: tuple[int | None, int]) -> tuple[int, int]:
    """Status codes in numeric order, runs without a reply last."""
    code = item[0]
    return (1, 0) if code is None else (0, code)
