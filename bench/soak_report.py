"""The soak's figures from what it collected (bench/soak.py), and the table it prints."""

from __future__ import annotations

import os
import statistics
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from soak import Tally

Figures = dict[str, Any]


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def deliveries_of(tally: Tally, deliveries: Mapping[str, list[str]]) -> Figures:
    """How the upstream saw the executes: each async run should arrive under its run id as
    Idempotency-Key (repeats of that key are what the key is for); anything else is a
    duplicate the key cannot catch."""
    same_key = beyond = wrong_key = undelivered = 0
    for run_id, marker in tally.accepted.items():
        keys = deliveries.get(marker, [])
        if not keys:
            undelivered += 1
            continue
        distinct = set(keys)
        same_key += len(keys) - len(distinct)
        beyond += len(distinct) - 1
        wrong_key += sum(key != run_id for key in distinct)
    sync_repeats = sum(max(0, len(deliveries.get(m, [])) - 1) for m in tally.sync_sent)
    unanswered = tally.async_sent - set(tally.accepted.values())
    return {
        "beyond_idempotency_key": beyond + sync_repeats,
        "async_under_several_keys": beyond,
        "async_key_not_run_id": wrong_key,
        "sync_delivered_twice": sync_repeats,
        "same_key_repeats": same_key,
        "accepted_but_never_delivered": undelivered,
        "unanswered_async_that_ran": sum(bool(deliveries.get(m)) for m in unanswered),
    }


def rss_of(
    samples: list[dict[str, Any]],
    rss_end: Mapping[str, tuple[float, float]],
    *,
    warmup: float,
    restarted: Mapping[str, float],
) -> Figures:
    """Each process's RSS `warmup` seconds after it (re)started and at the end."""
    table: Figures = {}
    for name, (own_end, tree_end) in rss_end.items():
        since = restarted.get(name, 0.0) + warmup
        start = next((row[name] for row in samples if row["t"] >= since and name in row), None)
        if start is None:
            table[name] = {"end_mb": round(own_end, 1), "note": "no sample after warm-up"}
            continue
        table[name] = {
            "start_at_s": since,
            "start_mb": round(start["rss_mb"], 1),
            "end_mb": round(own_end, 1),
            "growth_pct": round((own_end / start["rss_mb"] - 1) * 100, 1),
            "tree_start_mb": round(start["tree_mb"], 1),
            "tree_end_mb": round(tree_end, 1),
            "restarted": name in restarted,
        }
    return table


def figures_of(
    *,
    options: Mapping[str, Any],
    commit: str,
    tally: Tally,
    runs: Mapping[str, Any],
    stored: set[str],
    counts: Mapping[str, Any],
    samples: list[dict[str, Any]],
    rss_end: Mapping[str, tuple[float, float]],
    kill: Mapping[str, float],
    warmup: float,
    t0: float,
    drained_s: float,
    restarted: Mapping[str, float],
) -> Figures:
    done = [row for row in runs.values() if row["status"] == "done"]
    unstored = {m: t for m, t in tally.sync_answered.items() if m not in stored}
    callbacks: dict[str, int] = counts["callbacks"]
    return {
        "commit": commit,
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "options": dict(options),
        "kill": dict(kill),
        "async": {
            "sent": len(tally.async_sent),
            "accepted": len(tally.accepted),
            "done": len(done),
            "done_ok": sum(bool(row["ok"]) for row in done),
            "lost": len(tally.accepted) - len(done),
            "lost_ids": sorted(set(tally.accepted) - {row["id"] for row in done})[:50],
            "seconds_to_finish_after_load": round(drained_s, 1),
        },
        "callbacks": {
            "delivered": sum(row["callback_status"] == "delivered" for row in done),
            "by_status": dict(
                sorted(
                    {
                        status: sum(row["callback_status"] == status for row in done)
                        for status in {row["callback_status"] for row in done}
                    }.items(),
                    key=lambda item: str(item[0]),
                )
            ),
            "received_runs": len(set(callbacks) & set(tally.accepted)),
            "received_repeats": sum(n - 1 for n in callbacks.values()),
        },
        "deliveries": deliveries_of(tally, counts["deliveries"]),
        "sync": {
            "sent": len(tally.sync_sent),
            "answered": len(tally.sync_answered),
            "p50_ms": round(statistics.median(tally.sync_ms), 1) if tally.sync_ms else None,
            "p99_ms": round(percentile(tally.sync_ms, 0.99), 1),
            "answered_not_stored": len(unstored),
            "answered_not_stored_at_s": sorted(round(t - t0, 2) for t in unstored.values()),
        },
        "errors_steady": dict(tally.errors.most_common()),
        "errors_around_the_kill": dict(tally.errors_near_kill.most_common()),
        "error_times_s": [(round(t - t0, 2), kind) for t, kind in tally.error_times],
        "rss": rss_of(samples, rss_end, warmup=warmup, restarted=restarted),
        "samples": samples,
    }


def print_report(figures: Figures) -> None:
    """The figures as two markdown tables (as docs/scaling.md shows them)."""
    a, s, d, c = figures["async"], figures["sync"], figures["deliveries"], figures["callbacks"]
    rows = [
        (
            "server2 and worker1 SIGKILLed, back",
            f"at {figures['kill']['killed_at_s']:.0f} s, {figures['kill']['restarted_at_s']:.0f} s",
        ),
        ("async executes accepted (202)", f"{a['accepted']:,} of {a['sent']:,} sent"),
        ("  done (ok)", f"{a['done']:,} ({a['done_ok']:,})"),
        ("  lost", f"{a['lost']}"),
        ("  finished after the load ended", f"{a['seconds_to_finish_after_load']} s"),
        ("deliveries beyond the Idempotency-Key", f"{d['beyond_idempotency_key']}"),
        ("  repeats under the same key (a killed worker's runs)", f"{d['same_key_repeats']}"),
        ("  accepted but never delivered", f"{d['accepted_but_never_delivered']}"),
        (
            "callbacks delivered",
            f"{c['delivered']:,} (repeats at the receiver: {c['received_repeats']})",
        ),
        ("sync executes answered 200", f"{s['answered']:,} of {s['sent']:,} sent"),
        ("  p50 / p99", f"{s['p50_ms']} / {s['p99_ms']} ms"),
        ("  answered but not stored as a run", f"{s['answered_not_stored']}"),
        ("errors, steady", _kinds(figures["errors_steady"])),
        (
            "errors within the kill (until 15 s after the restart)",
            _kinds(figures["errors_around_the_kill"]),
        ),
    ]
    print("\n| figure | value |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")
    print("\n| process | RSS after warm-up | at the end | growth | with children |")
    print("|---|---:|---:|---:|---:|")
    for name, rss in figures["rss"].items():
        if "start_mb" not in rss:
            print(f"| {name} | - | {rss['end_mb']} MB | - | - |")
            continue
        note = " (restarted)" if rss["restarted"] else ""
        print(
            f"| {name}{note} | {rss['start_mb']} MB | {rss['end_mb']} MB | "
            f"{rss['growth_pct']:+.1f} % | {rss['tree_start_mb']} → {rss['tree_end_mb']} MB |"
        )


def _kinds(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{kind}: {n:,}" for kind, n in counts.items()) or "none"
