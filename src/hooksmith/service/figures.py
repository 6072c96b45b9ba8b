"""Pictures of how webhooks behave: a webhook's finished runs of the last 24 hours by hour
(outcomes, p50/p95 latency, status codes), and for the webhook list each one's runs and success
rate over the same hours. The store aggregates; nothing here loads runs one by one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.service.actors import Actor
from hooksmith.store import RunFigureRepository, Window
from hooksmith.store.figures import OUTCOMES, Bucket, Tally, WebhookFigures
from hooksmith.store.models import utcnow

__all__ = [
    "OUTCOMES",
    "Bucket",
    "RecentRuns",
    "Tally",
    "WebhookFigures",
    "last_day",
    "recent_runs",
    "webhook_figures",
]

HOUR = timedelta(hours=1)


def last_day(now: datetime) -> Window:
    """The 24 whole hours up to and including the current one.

    >>> from datetime import UTC
    >>> w = last_day(datetime(2026, 3, 1, 14, 25, tzinfo=UTC))
    >>> w.since.isoformat(), w.until.isoformat()
    ('2026-02-28T15:00:00+00:00', '2026-03-01T15:00:00+00:00')
    """
    hour = now.replace(minute=0, second=0, microsecond=0)
    return Window(since=hour + HOUR - 24 * HOUR, bucket=HOUR, buckets=24)


@dataclass(frozen=True)
class RecentRuns:
    """A webhook's finished runs per hour of the window, for the list's sparkline."""

    window: Window
    tallies: list[Tally]

    @property
    def runs(self) -> int:
        return sum(tally.runs for tally in self.tallies)

    @property
    def successes(self) -> int:
        return sum(tally.successes for tally in self.tallies)

    @property
    def success_rate(self) -> float | None:
        """The share of runs that succeeded (0 to 1), None when there was no run."""
        return self.successes / self.runs if self.runs else None


async def webhook_figures(
    db: AsyncSession, actor: Actor, webhook_id: int, *, now: datetime | None = None
) -> WebhookFigures:
    """The webhook's finished runs (test and live) of the last 24 hours, by hour."""
    window = last_day(now or utcnow())
    return await RunFigureRepository(db).for_webhook(actor.scope, webhook_id, window)


async def recent_runs(
    db: AsyncSession, actor: Actor, webhook_ids: Sequence[int], *, now: datetime | None = None
) -> dict[int, RecentRuns]:
    """Each webhook's runs and successes per hour of the last 24 hours, in one query."""
    window = last_day(now or utcnow())
    tallies = await RunFigureRepository(db).tallies(actor.scope, webhook_ids, window)
    return {webhook_id: RecentRuns(window, counts) for webhook_id, counts in tallies.items()}
