"""Figures of runs aggregated in SQL: buckets, p50/p95 and outcomes for a known set of runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store import (
    NewRun,
    RunFigureRepository,
    RunRepository,
    SecretBox,
    WebhookRepository,
    Window,
)
from hooksmith.store.models import WebhookRow
from tests.database import Tenants
from tests.factories import make_webhook, result_of

SINCE = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
WINDOW = Window(since=SINCE, bucket=timedelta(hours=1), buckets=24)


async def add_webhook(db: AsyncSession, box: SecretBox, company_id: int) -> WebhookRow:
    return await WebhookRepository(db, box).add(company_id, make_webhook())


def run(hook: WebhookRow, at: datetime, kind: str, ms: float) -> NewRun:
    return NewRun(
        webhook_id=hook.id,
        company_id=hook.company_id,
        webhook_revision=1,
        result=result_of(kind, ms),
        created_at=at,
        finished_at=at,
    )


async def test_outcomes_and_percentiles_per_hour(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await add_webhook(db, secret_box, tenants.acme.id)
    other = await add_webhook(db, secret_box, tenants.acme.id)
    hour_3 = SINCE + timedelta(hours=3)
    runs = [
        # Hour 3: 20 successes taking 1..20 ms → p50 10 ms, p95 19 ms (nearest rank).
        *(run(hook, hour_3 + timedelta(minutes=ms), "success", ms) for ms in range(1, 21)),
        # Hour 10: one of each failure.
        run(hook, SINCE + timedelta(hours=10), "http_error", 40),
        run(hook, SINCE + timedelta(hours=10, minutes=5), "timeout", 5000),
        run(hook, SINCE + timedelta(hours=10, minutes=9), "blocked", 0.5),
        run(hook, SINCE + timedelta(hours=10, minutes=59), "failed", 3),
        # The last hour's last second counts; the window's ends and other webhooks do not.
        run(hook, SINCE + timedelta(hours=24, seconds=-1), "success", 7),
        run(hook, SINCE + timedelta(hours=24), "success", 7),
        run(hook, SINCE - timedelta(seconds=1), "timeout", 7),
        run(other, hour_3, "failed", 7),
    ]
    await RunRepository(db).add_many(runs)
    pending = await RunRepository(db).add(
        webhook_id=hook.id, company_id=hook.company_id, webhook_revision=1, kind="test"
    )
    pending.created_at = hour_3
    await db.commit()

    figures = await RunFigureRepository(db).for_webhook(
        tenants.scope(tenants.acme), hook.id, WINDOW
    )

    assert len(figures.buckets) == 24
    third = figures.buckets[3]
    assert third.outcomes == {
        "success": 20,
        "http_error": 0,
        "timeout": 0,
        "blocked": 0,
        "failed": 0,
    }
    assert (third.p50_ms, third.p95_ms) == (10, 19)
    tenth = figures.buckets[10]
    assert tenth.outcomes == {
        "success": 0,
        "http_error": 1,
        "timeout": 1,
        "blocked": 1,
        "failed": 1,
    }
    assert (tenth.p50_ms, tenth.p95_ms) == (3, 5000)
    assert (figures.buckets[23].runs, figures.buckets[23].p50_ms) == (1, 7)
    assert sum(bucket.runs for bucket in figures.buckets) == 25
    empty = [b.index for b in figures.buckets if b.runs == 0]
    assert empty == [i for i in range(24) if i not in (3, 10, 23)]
    assert all(figures.buckets[i].p50_ms is None for i in empty)
    assert figures.status_codes == [(200, 21), (503, 1), (None, 3)]


async def test_figures_stay_within_the_scope(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await add_webhook(db, secret_box, tenants.acme.id)
    await RunRepository(db).add_many([run(hook, SINCE, "success", 5)])
    await db.commit()

    figures = await RunFigureRepository(db).for_webhook(
        tenants.scope(tenants.bolt), hook.id, WINDOW
    )
    tallies = await RunFigureRepository(db).tallies(tenants.scope(tenants.bolt), [hook.id], WINDOW)

    assert sum(bucket.runs for bucket in figures.buckets) == 0
    assert figures.status_codes == []
    assert sum(tally.runs for tally in tallies[hook.id]) == 0


async def test_tallies_of_several_webhooks_in_one_query(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    first = await add_webhook(db, secret_box, tenants.acme.id)
    second = await add_webhook(db, secret_box, tenants.acme.id)
    quiet = await add_webhook(db, secret_box, tenants.acme.id)
    runs = [
        *(run(first, SINCE + timedelta(hours=2, minutes=m), "success", 5) for m in range(3)),
        run(first, SINCE + timedelta(hours=2, minutes=30), "timeout", 5),
        run(first, SINCE + timedelta(hours=20), "http_error", 5),
        run(second, SINCE + timedelta(hours=2), "success", 5),
    ]
    await RunRepository(db).add_many(runs)
    await db.commit()

    tallies = await RunFigureRepository(db).tallies(
        tenants.scope(tenants.acme), [first.id, second.id, quiet.id], WINDOW
    )

    assert (tallies[first.id][2].runs, tallies[first.id][2].successes) == (4, 3)
    assert (tallies[first.id][20].runs, tallies[first.id][20].successes) == (1, 0)
    assert sum(t.runs for t in tallies[first.id]) == 5
    assert [t.runs for t in tallies[second.id]] == [0, 0, 1] + [0] * 21
    assert sum(t.runs for t in tallies[quiet.id]) == 0
