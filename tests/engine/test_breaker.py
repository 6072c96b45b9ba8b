"""The per-origin circuit breaker: on its own with a hand-set clock, then in the engine."""

from __future__ import annotations

import asyncio
import time

import pytest

from hooksmith.engine import CircuitOpen, Engine, Result, Webhook
from hooksmith.engine.breaker import CircuitBreaker, Verdict, origin_of, verdict_of
from tests.factories import loopback_engine, make_webhook
from tests.upstream import Upstream, serve

ORIGIN = origin_of("https://api.example.com/orders")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def opened(threshold: int = 2, cooldown: float = 30.0) -> tuple[CircuitBreaker, Clock]:
    clock = Clock()
    breaker = CircuitBreaker(threshold=threshold, cooldown=cooldown, clock=clock)
    for _ in range(threshold):
        breaker.admit(ORIGIN)
        breaker.record(ORIGIN, Verdict.FAILURE)
    return breaker, clock


def test_origins_are_scheme_host_and_port() -> None:
    assert origin_of("https://API.example.com/a?b=1") == ("https", "api.example.com", 443)
    assert origin_of("http://api.example.com:8080/") == ("http", "api.example.com", 8080)


@pytest.mark.parametrize(
    ("status", "error_kind", "verdict"),
    [
        (200, None, Verdict.SUCCESS),
        (404, None, Verdict.SUCCESS),
        (429, None, Verdict.SUCCESS),
        (500, None, Verdict.FAILURE),
        (503, None, Verdict.FAILURE),
        (None, "connect_error", Verdict.FAILURE),
        (None, "timeout", Verdict.FAILURE),
        (None, "egress_blocked", Verdict.NEUTRAL),
        (None, "too_large", Verdict.NEUTRAL),
    ],
)
def test_verdicts(status: int | None, error_kind: str | None, verdict: Verdict) -> None:
    assert verdict_of(status, error_kind) is verdict


def test_it_opens_after_threshold_failures_in_a_row() -> None:
    breaker, _ = opened(threshold=3)
    assert breaker.state(ORIGIN) == "open"
    with pytest.raises(CircuitOpen) as caught:
        breaker.admit(ORIGIN)
    assert caught.value.kind == "circuit_open"
    assert "https://api.example.com:443 failed 3 times in a row" in caught.value.message
    assert "30.0 s more" in caught.value.message


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(threshold=2)
    for verdict in (Verdict.FAILURE, Verdict.SUCCESS, Verdict.FAILURE, Verdict.NEUTRAL):
        breaker.admit(ORIGIN)
        breaker.record(ORIGIN, verdict)
    assert breaker.state(ORIGIN) == "closed"
    assert breaker.admit(ORIGIN) is False


def test_other_origins_are_not_affected() -> None:
    breaker, _ = opened()
    assert breaker.admit(origin_of("https://other.example.com/")) is False


def test_after_the_cooldown_one_probe_goes_and_a_success_closes() -> None:
    breaker, clock = opened(cooldown=30.0)
    clock.now += 30.0
    assert breaker.state(ORIGIN) == "half_open"
    assert breaker.admit(ORIGIN) is True
    with pytest.raises(CircuitOpen, match="until a probe succeeds"):
        breaker.admit(ORIGIN)  # one probe at a time
    breaker.record(ORIGIN, Verdict.SUCCESS, probe=True)
    assert breaker.state(ORIGIN) == "closed"
    assert breaker.admit(ORIGIN) is False


def test_a_failed_probe_opens_it_for_another_cooldown() -> None:
    breaker, clock = opened(cooldown=30.0)
    clock.now += 31.0
    assert breaker.admit(ORIGIN) is True
    breaker.record(ORIGIN, Verdict.FAILURE, probe=True)
    assert breaker.state(ORIGIN) == "open"
    clock.now += 29.0
    with pytest.raises(CircuitOpen):
        breaker.admit(ORIGIN)
    clock.now += 1.0
    assert breaker.admit(ORIGIN) is True


def test_a_probe_without_a_verdict_frees_the_slot() -> None:
    breaker, clock = opened()
    clock.now += 30.0
    assert breaker.admit(ORIGIN) is True
    breaker.record(ORIGIN, Verdict.NEUTRAL, probe=True)
    assert breaker.admit(ORIGIN) is True


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        CircuitBreaker(threshold=0)
    with pytest.raises(ValueError, match="cooldown"):
        CircuitBreaker(cooldown=-1)


async def until_admitted(engine: Engine, hook: Webhook, limit: float = 3.0) -> Result:
    """Execute until the breaker lets the request go (its cooldown is over)."""
    give_up = time.monotonic() + limit
    while True:
        result = await engine.execute(hook, {})
        if result.error is None or result.error.kind != "circuit_open":
            return result
        assert time.monotonic() < give_up, "the circuit did not half-open in time"
        await asyncio.sleep(0.02)


async def test_the_engine_fails_fast_then_probes_and_closes(upstream: Upstream) -> None:
    failing = make_webhook(url=upstream.url("/status/503"))
    healthy = make_webhook(url=upstream.url("/echo"))
    async with loopback_engine(breaker_threshold=2, breaker_cooldown=0.3) as engine:
        for _ in range(2):
            assert (await engine.execute(failing, {})).status == 503
        assert len(upstream.received) == 2

        began = time.monotonic()
        fast = await engine.execute(healthy, {})
        assert time.monotonic() - began < 0.5
        assert (fast.ok, fast.outcome, fast.status) == (False, "failed", None)
        assert fast.error is not None
        assert fast.error.kind == "circuit_open"
        assert fast.attempts == []
        assert fast.request is not None  # what would have been sent is still shown
        assert len(upstream.received) == 2  # nothing reached the upstream

        probe = await until_admitted(engine, healthy)
        assert probe.ok, probe.error
        assert len(upstream.received) == 3
        after = await engine.execute(healthy, {})
        assert after.ok, after.error
        assert len(upstream.received) == 4


async def test_a_failed_probe_opens_the_circuit_again(upstream: Upstream) -> None:
    failing = make_webhook(url=upstream.url("/status/500"))
    async with loopback_engine(breaker_threshold=2, breaker_cooldown=0.3) as engine:
        for _ in range(2):
            await engine.execute(failing, {})
        probe = await until_admitted(engine, failing)
        assert probe.status == 500
        again = await engine.execute(failing, {})
        assert again.error is not None
        assert again.error.kind == "circuit_open"
        assert len(upstream.received) == 3


async def test_client_errors_do_not_open_the_circuit(upstream: Upstream) -> None:
    hook = make_webhook(url=upstream.url("/status/404"))
    async with loopback_engine(breaker_threshold=2, breaker_cooldown=30) as engine:
        results = [await engine.execute(hook, {}) for _ in range(4)]
    assert [r.status for r in results] == [404] * 4
    assert len(upstream.received) == 4


async def test_connection_failures_open_the_circuit() -> None:
    hook = make_webhook(url="http://127.0.0.1:9/")
    async with loopback_engine(breaker_threshold=2, breaker_cooldown=30) as engine:
        kinds = [(await engine.execute(hook, {})).error for _ in range(3)]
    assert [k.kind if k else None for k in kinds] == [
        "connect_error",
        "connect_error",
        "circuit_open",
    ]


async def test_one_open_circuit_leaves_other_origins_alone(upstream: Upstream) -> None:
    async with loopback_engine(breaker_threshold=1, breaker_cooldown=30) as engine:
        await engine.execute(make_webhook(url=upstream.url("/status/502")), {})
        with serve() as other:
            result = await engine.execute(make_webhook(url=other.url("/echo")), {})
        assert result.ok, result.error
        blocked = await engine.execute(make_webhook(url=upstream.url("/echo")), {})
        assert blocked.error is not None
        assert blocked.error.kind == "circuit_open"


async def test_retries_stop_when_the_circuit_opens(upstream: Upstream) -> None:
    hook = make_webhook(url=upstream.url("/flaky?key=b&fail=99"), retry={"attempts": 5})
    async with loopback_engine(breaker_threshold=2, breaker_cooldown=30) as engine:
        result = await engine.execute(hook, {})
    assert [a.status for a in result.attempts] == [503, 503]
    assert (result.status, result.outcome) == (503, "http_error")
    assert any(w.startswith("retries stopped: circuit_open") for w in result.warnings)
    assert len(upstream.received) == 2
