"""Charts of runs drawn on the server as inline SVG: latency (p50/p95 per hour), outcomes
stacked per hour, status codes, and the list's sparkline.

No script and no charting library: each chart is an `<svg role="img">` with a `<title>` and a
`<desc>` stating its figures, and every bar or point carries a `<title>` with its own figures,
which browsers show on hover and screen readers read.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from hooksmith.service.figures import OUTCOMES, Bucket, RecentRuns, WebhookFigures

WIDTH, HEIGHT = 400, 160
LEFT, RIGHT, TOP, BOTTOM = 48, 6, 10, 22
OUTCOME_COLOURS = {
    "success": "#1f7a4d",
    "http_error": "#d9822b",
    "timeout": "#7b4fc9",
    "blocked": "#5d6778",
    "failed": "#b3261e",
}
STATUS_COLOURS = {2: "#1f7a4d", 3: "#2f5fd0", 4: "#d9822b", 5: "#b3261e"}
NO_REPLY_COLOUR = "#5d6778"


def percent(share: float) -> str:
    """A share as a percentage with at most one decimal; 100% and 0% only when exact.

    >>> percent(0.75), percent(0.9999), percent(1.0), percent(2 / 3), percent(0.0001)
    ('75%', '99.9%', '100%', '66.7%', '0.1%')
    """
    tenths = round(share * 1000)
    if 0 < share < 1:
        tenths = min(max(tenths, 1), 999)
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"


def milliseconds(value: float) -> str:
    """A latency as people read it: `87 ms`, `1.2 s`."""
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.1f} s"


def _span(figures: WebhookFigures, index: int) -> str:
    start = figures.window.start_of(index)
    return f"{start:%H:%M}\N{EN DASH}{start + figures.window.bucket:%H:%M} UTC"


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of 10 at or above `value` (an axis's top)."""
    if value <= 0:
        return 1.0
    scale = 1.0
    while scale * 10 < value:
        scale *= 10
    while scale > value:
        scale /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * scale >= value:
            return step * scale
    return 10 * scale


def _svg(
    name: str,
    title: str,
    desc: str,
    body: Iterable[str],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Markup:
    parts = [
        f'<svg class="chart" id="chart-{name}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="chart-{name}-title '
        f'chart-{name}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-{name}-title">{escape(title)}</title>',
        f'<desc id="chart-{name}-desc">{escape(desc)}</desc>',
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))


def _frame(figures: WebhookFigures, top: float, unit: str) -> list[str]:
    """Grid lines with their values on the left, and every sixth hour along the bottom."""
    plot_height = HEIGHT - TOP - BOTTOM
    parts = []
    for share in (0, 0.5, 1):
        y = TOP + plot_height * (1 - share)
        value = top * share
        label = milliseconds(value) if unit == "ms" else f"{value:g}"
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d9dee6"/><text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" '
            f'font-size="11" fill="#5d6778">{escape(label)}</text>'
        )
    step = _step(figures)
    for index in range(0, figures.window.buckets, 6):
        x = LEFT + step * index
        start = figures.window.start_of(index)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 6}" font-size="11" fill="#5d6778">{start:%H:%M}</text>'
        )
    return parts


def _step(figures: WebhookFigures) -> float:
    return (WIDTH - LEFT - RIGHT) / figures.window.buckets


def latency_chart(figures: WebhookFigures) -> Markup:
    """p50 and p95 latency per hour as two lines, each point titled with its figures."""
    timed = [bucket for bucket in figures.buckets if bucket.p95_ms is not None]
    title = "Latency per hour, last 24 hours (p50 and p95)"
    if not timed:
        return _svg("latency", title, "No finished run in the last 24 hours.", [])
    worst = max(timed, key=lambda bucket: bucket.p95_ms or 0.0)
    top = _nice_ceiling(worst.p95_ms or 0.0)
    desc = (
        f"Highest p95: {milliseconds(worst.p95_ms or 0.0)} at {_span(figures, worst.index)}; "
        f"p50 then {milliseconds(worst.p50_ms or 0.0)}."
    )
    step, plot_height = _step(figures), HEIGHT - TOP - BOTTOM

    def point(bucket: Bucket, value: float) -> tuple[float, float]:
        return LEFT + step * (bucket.index + 0.5), TOP + plot_height * (1 - value / top)

    parts = _frame(figures, top, "ms")
    for name, dash in (("p95", ' stroke-dasharray="5 3"'), ("p50", "")):
        # A line joins consecutive hours only: an hour without runs leaves a gap.
        for stretch in _stretches(timed):
            values = [(b, b.p95_ms if name == "p95" else b.p50_ms) for b in stretch]
            line = " ".join("{:.1f},{:.1f}".format(*point(b, v or 0.0)) for b, v in values)
            parts.append(
                f'<polyline class="{name}" points="{line}" fill="none" stroke="#2f5fd0" '
                f'stroke-width="2"{dash}/>'
            )
    for bucket in timed:
        x, y50 = point(bucket, bucket.p50_ms or 0.0)
        _, y95 = point(bucket, bucket.p95_ms or 0.0)
        label = (
            f"{_span(figures, bucket.index)}: p50 {milliseconds(bucket.p50_ms or 0.0)}, "
            f"p95 {milliseconds(bucket.p95_ms or 0.0)} ({bucket.runs} runs)"
        )
        parts.append(
            f'<g class="point"><title>{escape(label)}</title>'
            f'<rect x="{x - step / 2:.1f}" y="{TOP}" width="{step:.1f}" height="{plot_height}" '
            f'fill="transparent"/><circle cx="{x:.1f}" cy="{y50:.1f}" r="3" fill="#2f5fd0"/>'
            f'<circle cx="{x:.1f}" cy="{y95:.1f}" r="3" fill="#fff" stroke="#2f5fd0"/></g>'
        )
    return _svg("latency", title, desc, parts)


def _stretches(buckets: list[Bucket]) -> list[list[Bucket]]:
    """Runs of consecutive buckets: [0, 1, 3] gives [[0, 1], [3]]."""
    stretches: list[list[Bucket]] = []
    for bucket in buckets:
        if stretches and stretches[-1][-1].index == bucket.index - 1:
            stretches[-1].append(bucket)
        else:
            stretches.append([bucket])
    return stretches


def outcome_totals(figures: WebhookFigures) -> list[tuple[str, int]]:
    """Each outcome with its number of runs over the window, in chart order."""
    return [(name, sum(b.outcomes[name] for b in figures.buckets)) for name in OUTCOMES]


def outcomes_chart(figures: WebhookFigures) -> Markup:
    """Runs per hour as bars stacked by outcome, each bar titled with its counts."""
    totals = outcome_totals(figures)
    runs = sum(count for _, count in totals)
    title = "Outcomes per hour, last 24 hours"
    if not runs:
        return _svg("outcomes", title, "No finished run in the last 24 hours.", [])
    desc = f"{runs} runs: " + ", ".join(f"{count} {name}" for name, count in totals if count)
    top = _nice_ceiling(max(bucket.runs for bucket in figures.buckets))
    step, plot_height = _step(figures), HEIGHT - TOP - BOTTOM
    parts = _frame(figures, top, "runs")
    for bucket in figures.buckets:
        if not bucket.runs:
            continue
        counts = ", ".join(f"{n} {name}" for name, n in bucket.outcomes.items() if n)
        label = f"{_span(figures, bucket.index)}: {bucket.runs} runs ({counts})"
        parts.append(f'<g class="bar"><title>{escape(label)}</title>')
        y = float(TOP + plot_height)
        for name in OUTCOMES:
            height = plot_height * bucket.outcomes[name] / top
            if not height:
                continue
            y -= height
            parts.append(
                f'<rect class="outcome-{name}" x="{LEFT + step * bucket.index + 1:.1f}" '
                f'y="{y:.1f}" width="{step - 2:.1f}" height="{height:.1f}" '
                f'fill="{OUTCOME_COLOURS[name]}"/>'
            )
        parts.append("</g>")
    return _svg("outcomes", title, desc, parts)


def status_label(code: int | None) -> str:
    return "no reply" if code is None else str(code)


def status_chart(figures: WebhookFigures) -> Markup:
    """One horizontal bar per status code (and one for runs without a reply)."""
    codes = figures.status_codes
    title = "Status codes, last 24 hours"
    if not codes:
        return _svg("status", title, "No finished run in the last 24 hours.", [], height=40)
    row, label_width, width = 22, 70, 360
    most = max(count for _, count in codes)
    desc = ", ".join(f"{status_label(code)}: {count}" for code, count in codes)
    parts = []
    for line, (code, count) in enumerate(codes):
        y = 4 + line * row
        length = (width - label_width - 50) * count / most
        colour = NO_REPLY_COLOUR if code is None else STATUS_COLOURS.get(code // 100, "#5d6778")
        text = f"{status_label(code)}: {count} run{'' if count == 1 else 's'}"
        parts.append(
            f'<g class="status"><title>{escape(text)}</title>'
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end" font-size="12" '
            f'fill="#1d2430">{escape(status_label(code))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{max(length, 1):.1f}" height="14" '
            f'fill="{colour}"/><text x="{label_width + length + 6:.1f}" y="{y + 14}" '
            f'font-size="12" fill="#1d2430">{count}</text></g>'
        )
    return _svg("status", title, desc, parts, width=width, height=8 + row * len(codes))


def sparkline(recent: RecentRuns, name: str) -> Markup:
    """The list's picture of a webhook's last 24 hours: a bar per hour as tall as its runs,
    the failed part on top in red."""
    width, height, gap = 96, 22, 1
    step = width / len(recent.tallies)
    most = max((tally.runs for tally in recent.tallies), default=0) or 1
    if recent.runs:
        rate = percent(recent.success_rate or 0.0)
        label = f"{name}, last 24 hours: {recent.runs} runs, {rate} succeeded"
    else:
        label = f"{name}, last 24 hours: no runs"
    parts = [
        f'<svg class="sparkline" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>',
        f'<line x1="0" x2="{width}" y1="{height - 0.5}" y2="{height - 0.5}" stroke="#d9dee6"/>',
    ]
    for index, tally in enumerate(recent.tallies):
        if not tally.runs:
            continue
        x = index * step
        ok_height = (height - 1) * tally.successes / most
        bad_height = (height - 1) * (tally.runs - tally.successes) / most
        bottom = height - 1
        parts.append(
            f'<rect x="{x:.1f}" y="{bottom - ok_height:.1f}" width="{step - gap:.1f}" '
            f'height="{ok_height:.1f}" fill="{OUTCOME_COLOURS["success"]}"/>'
            f'<rect x="{x:.1f}" y="{bottom - ok_height - bad_height:.1f}" '
            f'width="{step - gap:.1f}" height="{bad_height:.1f}" '
            f'fill="{OUTCOME_COLOURS["failed"]}"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
