"""Figures for the pages: the last 24 hours by hour, and the list's tallies in one query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.service.actors import Actor
from hooksmith.service.figures import last_day, recent_runs, webhook_figures
from hooksmith.store import NewRun, RunRepository, SecretBox, WebhookRepository
from hooksmith.store.models import WebhookRow
from tests.database import Tenants
from tests.factories import make_webhook, result_of

NOW = datetime(2026, 3, 1, 14, 25, tzinfo=UTC)


def company_user(tenants: Tenants) -> Actor:
    return Actor(
        kind="user",
        id=1,
        name="ana",
        scope=tenants.scope(tenants.acme),
        agency_id=None,
        company_id=tenants.acme.id,
    )


def run(hook: WebhookRow, at: datetime, kind: str) -> NewRun:
    return NewRun(
        webhook_id=hook.id,
        company_id=hook.company_id,
        webhook_revision=1,
        result=result_of(kind, 10),
        created_at=at,
    )


def test_the_last_day_is_24_whole_hours_ending_with_the_current_one() -> None:
    window = last_day(NOW)
    assert window.since == datetime(2026, 2, 28, 15, tzinfo=UTC)
    assert window.until == datetime(2026, 3, 1, 15, tzinfo=UTC)
    assert window.buckets == 24


async def test_the_list_reads_every_webhook_s_last_day_in_one_query(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    webhooks = WebhookRepository(db, secret_box)
    hooks = [await webhooks.add(tenants.acme.id, make_webhook()) for _ in range(5)]
    first, second = hooks[0], hooks[1]
    runs = [
        run(first, NOW - timedelta(minutes=5), "success"),
        run(first, NOW - timedelta(hours=3), "success"),
        run(first, NOW - timedelta(hours=3), "timeout"),
        run(first, NOW - timedelta(hours=23, minutes=20), "http_error"),  # 15:05 yesterday
        run(first, NOW - timedelta(hours=23, minutes=30), "success"),  # 14:55: before 15:00
        run(second, NOW - timedelta(minutes=1), "blocked"),
    ]
    await RunRepository(db).add_many(runs)
    await db.commit()
    statements: list[str] = []
    sync_engine = db.bind.sync_engine  # type: ignore[union-attr]

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        recent = await recent_runs(db, company_user(tenants), [hook.id for hook in hooks], now=NOW)
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)

    assert len(statements) == 1
    assert (recent[first.id].runs, recent[first.id].successes) == (4, 2)
    assert recent[first.id].success_rate == pytest.approx(0.5)
    assert [t.runs for t in recent[first.id].tallies] == [1] + [0] * 19 + [2, 0, 0, 1]
    assert (recent[second.id].runs, recent[second.id].success_rate) == (1, 0.0)
    assert (recent[hooks[4].id].runs, recent[hooks[4].id].success_rate) == (0, None)


async def test_a_webhook_s_figures_are_of_the_last_day(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await WebhookRepository(db, secret_box).add(tenants.acme.id, make_webhook())
    await RunRepository(db).add_many(
        [
            run(hook, NOW, "success"),
            run(hook, NOW - timedelta(hours=1), "timeout"),
            run(hook, NOW - timedelta(days=2), "success"),
        ]
    )
    await db.commit()

    figures = await webhook_figures(db, company_user(tenants), hook.id, now=NOW)

    assert figures.buckets[23].outcomes["success"] == 1
    assert figures.buckets[22].outcomes["timeout"] == 1
    assert sum(bucket.runs for bucket in figures.buckets) == 2
    assert figures.status_codes == [(200, 1), (None, 1)]
