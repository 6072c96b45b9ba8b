"""The SVG of the charts: figures in titles, names escaped, empty windows said in words."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta

from hooksmith.service.figures import Bucket, RecentRuns, Tally, WebhookFigures
from hooksmith.store import Window
from hooksmith.web import charts

WINDOW = Window(datetime(2026, 3, 1, tzinfo=UTC), timedelta(hours=1), 24)
SVG = "{http://www.w3.org/2000/svg}"


def figures() -> WebhookFigures:
    buckets = [Bucket(index) for index in range(24)]
    buckets[2].outcomes.update(success=3, timeout=1)
    buckets[2].p50_ms, buckets[2].p95_ms = 120.0, 1500.0
    return WebhookFigures(window=WINDOW, buckets=buckets, status_codes=[(200, 3), (None, 1)])


def titles(svg: str) -> list[str]:
    return [node.text or "" for node in ElementTree.fromstring(svg).iter(f"{SVG}title")]


def test_each_chart_is_well_formed_svg_with_its_figures_in_titles() -> None:
    latency = titles(charts.latency_chart(figures()))
    assert latency[0] == "Latency per hour, last 24 hours (p50 and p95)"
    assert "02:00\N{EN DASH}03:00 UTC: p50 120 ms, p95 1.5 s (4 runs)" in latency
    outcomes = titles(charts.outcomes_chart(figures()))
    assert "02:00\N{EN DASH}03:00 UTC: 4 runs (3 success, 1 timeout)" in outcomes
    assert titles(charts.status_chart(figures()))[1:] == ["200: 3 runs", "no reply: 1 run"]


def test_latency_lines_break_at_hours_without_runs() -> None:
    hours = figures()
    for index in (3, 4, 7):
        hours.buckets[index].outcomes["success"] = 1
        hours.buckets[index].p50_ms = hours.buckets[index].p95_ms = 50.0
    root = ElementTree.fromstring(charts.latency_chart(hours))
    lines = [len(line.get("points", "").split()) for line in root.iter(f"{SVG}polyline")]
    assert lines == [3, 1, 3, 1]  # p95 then p50: hours 2 to 4, then hour 7


def test_a_window_without_runs_is_said_in_words() -> None:
    empty = WebhookFigures(window=WINDOW, buckets=[Bucket(i) for i in range(24)], status_codes=[])
    for chart in (charts.latency_chart, charts.outcomes_chart, charts.status_chart):
        root = ElementTree.fromstring(chart(empty))
        assert root.find(f"{SVG}desc").text == "No finished run in the last 24 hours."  # type: ignore[union-attr]


def test_the_sparkline_escapes_the_webhook_name() -> None:
    recent = RecentRuns(WINDOW, [Tally(runs=3, successes=2)] + [Tally()] * 23)
    svg = charts.sparkline(recent, '<script>alert("x")</script> & co')
    assert "<script>" not in svg
    assert titles(svg) == [
        '<script>alert("x")</script> & co, last 24 hours: 3 runs, 66.7% succeeded'
    ]
