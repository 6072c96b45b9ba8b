"""The execution counters of `Metrics`: one registry each, labels from a bounded set."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from hooksmith.engine import Result
from hooksmith.engine.result import ResultError
from hooksmith.service.metrics import Metrics


def executions(metrics: Metrics) -> dict[tuple[str, str, str], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (sample.labels["kind"], sample.labels["outcome"], sample.labels["error"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "hooksmith_executions_total"
    }


def test_each_runtime_has_a_registry_of_its_own() -> None:
    first, second = Metrics(), Metrics()  # no clash of names in a global registry
    first.count("live", Result(ok=True), 0.01)
    assert executions(first) == {("live", "success", "none"): 1.0}
    assert executions(second) == {}


def test_error_kinds_are_labels_from_a_known_set() -> None:
    metrics = Metrics()
    timeout = Result(ok=False, error=ResultError(kind="timeout", message="too slow"))
    odd = Result(ok=False, error=ResultError(kind="made_up_kind", message="?"))
    for result in (timeout, timeout, odd):
        metrics.count("async", result, 5.0)
    assert executions(metrics) == {
        ("async", "timeout", "timeout"): 2.0,
        ("async", "failed", "other"): 1.0,
    }
