"""Pictures of how a webhook behaves: with 200 runs of mixed outcomes (some sent to a real
upstream, the rest stored directly), the webhook's page shows latency, outcome and status-code
charts whose titles hold the right figures, and the list a sparkline and the success rate."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from hooksmith.store import NewRun, RunRepository, create_pool, db_opener
from hooksmith.store.models import WebhookRow
from tests.database import run_apart
from tests.factories import result_of
from tests.upstream import Upstream
from tests.web.conftest import Site
from tests.web.helpers import builder_ready, call_api, sign_in

# Sixteen stored runs in turn: 10 success, 2 http_error, 2 timeout, 1 blocked, 1 failed.
CYCLE = ["success"] * 10 + ["http_error", "timeout", "blocked", "http_error", "timeout", "failed"]
STORED = 192
HOURS_BACK = 22  # spread over the 22 hours before this one, safe if the hour turns meanwhile


def this_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def planned_runs() -> list[tuple[int, str, float]]:
    """(hours ago, outcome, milliseconds) of each stored run."""
    return [(1 + i % HOURS_BACK, CYCLE[i % len(CYCLE)], 50 + (i * 37) % 400) for i in range(STORED)]


async def store_runs(database_url: str, webhook_id: int) -> None:
    database = create_pool(database_url)
    try:
        async with db_opener(database)() as db:
            hook = await db.get(WebhookRow, webhook_id)
            assert hook is not None
            hour = this_hour()
            runs = [
                NewRun(
                    webhook_id=hook.id,
                    company_id=hook.company_id,
                    webhook_revision=1,
                    result=result_of(kind, ms, http_status=500),
                    created_at=hour - timedelta(hours=ago) + timedelta(minutes=10),
                )
                for ago, kind, ms in planned_runs()
            ]
            assert await RunRepository(db).add_many(runs) == STORED
            await db.commit()
    finally:
        await database.dispose()


def nearest_rank(values: list[float], share: float) -> float:
    return sorted(values)[math.ceil(share * len(values)) - 1]


def test_charts_and_sparkline_show_200_runs_of_mixed_outcomes(
    page: Page, site: Site, shop: Upstream, artifacts
) -> None:
    sign_in(page, site, site.acme_user)
    definition = {"name": "Order status charts", "url": shop.url("/status/{{ code }}")}
    status, hook = call_api(page, "POST", "/webhooks", definition)
    assert status == 201, hook
    status, quiet = call_api(
        page, "POST", "/webhooks", {"name": "Quiet one", "url": shop.url("/echo")}
    )
    assert status == 201, quiet
    # Eight runs through the real upstream: five 200s and three 503s.
    for code in (200, 503, 200, 200, 503, 200, 503, 200):
        status, run = call_api(
            page, "POST", f"/webhooks/{hook['id']}/test", {"conversation": {"code": code}}
        )
        assert (status, run["http_status"]) == (200, code), run
    run_apart(store_runs(site.database_url, hook["id"]))

    page.goto(site.url(f"/webhooks/{hook['id']}"))
    builder_ready(page)
    charts = page.locator("#run-charts")
    expect(page.locator("#run-charts-summary")).to_contain_text(
        "200 finished runs (test and live), by hour in UTC: 62.5% succeeded."
    )
    expect(page.locator("#chart-outcomes-desc")).to_have_text(
        "200 runs: 125 success, 27 http_error, 24 timeout, 12 blocked, 12 failed"
    )
    expect(page.locator("#chart-status-desc")).to_have_text(
        "200: 125, 500: 24, 503: 3, no reply: 48"
    )
    expect(
        charts.get_by_role("img", name="Latency per hour, last 24 hours (p50 and p95)")
    ).to_be_visible()
    # An hour of stored runs: its bar counts its outcomes and its point holds p50 and p95.
    hour = this_hour() - timedelta(hours=5)
    span = f"{hour:%H:%M}\N{EN DASH}{hour + timedelta(hours=1):%H:%M} UTC"
    planned = [(kind, ms) for ago, kind, ms in planned_runs() if ago == 5]
    timings = [ms for _, ms in planned]
    latency = page.locator("#chart-latency g.point title").filter(has_text=span)
    expect(latency).to_have_text(
        f"{span}: p50 {nearest_rank(timings, 0.5):.0f} ms, "
        f"p95 {nearest_rank(timings, 0.95):.0f} ms ({len(planned)} runs)"
    )
    bar = page.locator("#chart-outcomes g.bar title").filter(has_text=span)
    expect(bar).to_contain_text(f"{span}: {len(planned)} runs (")
    successes = sum(1 for kind, _ in planned if kind == "success")
    expect(bar).to_contain_text(f"{successes} success")
    expect(page.locator("#chart-outcomes g.bar")).to_have_count(HOURS_BACK + 1)
    expect(page.locator("#chart-status g.status title")).to_have_text(
        ["200: 125 runs", "500: 24 runs", "503: 3 runs", "no reply: 48 runs"]
    )
    charts.scroll_into_view_if_needed()
    charts.screenshot(path=str(artifacts / "charts-webhook.png"))

    page.goto(site.url(f"/webhooks/{hook['id']}/runs"))
    expect(page.locator("#chart-outcomes-desc")).to_have_text(
        "200 runs: 125 success, 27 http_error, 24 timeout, 12 blocked, 12 failed"
    )

    page.goto(site.url("/webhooks"))
    row = page.locator(f'tr[data-webhook-id="{hook["id"]}"]')
    expect(row.get_by_role("img")).to_have_accessible_name(
        "Order status charts, last 24 hours: 200 runs, 62.5% succeeded"
    )
    expect(row.locator(".rate")).to_have_text("62.5%")
    expect(row.locator(".sparkline rect")).to_have_count(2 * (HOURS_BACK + 1))
    expect(page.locator(f'tr[data-webhook-id="{quiet["id"]}"] td.recent')).to_have_text("no runs")
    page.screenshot(path=str(artifacts / "charts-list.png"), full_page=True)


def test_a_webhook_without_runs_says_so_instead_of_empty_charts(page: Page, site: Site) -> None:
    sign_in(page, site, site.bolt_user)
    status, hook = call_api(
        page, "POST", "/webhooks", {"name": "Never ran", "url": "https://example.com/"}
    )
    assert status == 201, hook
    page.goto(site.url(f"/webhooks/{hook['id']}"))
    expect(page.locator("#run-charts-summary")).to_contain_text(
        "No finished run in the last 24 hours"
    )
    expect(page.locator("#run-charts svg")).to_have_count(0)
    page.goto(site.url("/webhooks/new"))
    builder_ready(page)
    expect(page.locator("#run-charts")).to_have_count(0)
