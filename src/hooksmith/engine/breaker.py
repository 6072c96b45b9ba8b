"""A per-origin circuit breaker: fail fast while an upstream keeps failing.

After `threshold` failures in a row (no connection, timeout, 5xx) to one origin (scheme, host,
port), the circuit opens: for `cooldown` seconds executions to that origin end at once as
`circuit_open` and nothing is sent. Then one probe is let through (half-open): a success
closes the circuit, a failure opens it for another cooldown. One breaker per `Engine`, in the
process's memory.

    >>> breaker = CircuitBreaker(threshold=1, cooldown=30.0)
    >>> origin = origin_of("https://api.example.com/orders")
    >>> breaker.admit(origin)
    False
    >>> breaker.record(origin, Verdict.FAILURE)
    >>> breaker.state(origin)
    'open'
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Final

from yarl import URL

from hooksmith.engine.errors import CircuitOpen

Origin = tuple[str, str, int | None]
MAX_TRACKED_ORIGINS: Final = 10_000


class Verdict(Enum):
    """What an attempt says about its origin's health."""

    SUCCESS = "success"  # an answer below 500
    FAILURE = "failure"  # no connection, a timeout, or a 5xx answer
    NEUTRAL = "neutral"  # says nothing about the origin (refused by the egress guard, …)


def origin_of(url: str) -> Origin:
    """The (scheme, host, port) a URL is sent to; the breaker keeps one circuit for each.

    >>> origin_of("http://API.example.com/a?b=1")
    ('http', 'api.example.com', 80)
    """
    try:
        parsed = URL(url, encoded=True)
    except (ValueError, UnicodeError):
        return ("", url, None)
    return (parsed.scheme.lower(), (parsed.raw_host or "").lower(), parsed.port)


def verdict_of(status: int | None, error_kind: str | None) -> Verdict:
    """The verdict on an attempt that answered `status` or failed with `error_kind`.

    >>> verdict_of(503, None), verdict_of(404, None), verdict_of(None, "timeout")
    (<Verdict.FAILURE: 'failure'>, <Verdict.SUCCESS: 'success'>, <Verdict.FAILURE: 'failure'>)
    """
    if error_kind in ("connect_error", "timeout"):
        return Verdict.FAILURE
    if status is None:
        return Verdict.NEUTRAL
    return Verdict.FAILURE if status >= 500 else Verdict.SUCCESS


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


class CircuitBreaker:
    """Circuits per origin; only origins with recent failures are held (at most 10,000)."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1:
            raise ValueError(f"threshold: must be at least 1 (got {threshold})")
        if cooldown < 0:
            raise ValueError(f"cooldown: must be ≥ 0 seconds (got {cooldown})")
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self._circuits: OrderedDict[Origin, _Circuit] = OrderedDict()

    def state(self, origin: Origin) -> str:
        """`closed`, `open` or `half_open` (the cooldown is over: the next attempt probes)."""
        circuit = self._circuits.get(origin)
        if circuit is None or circuit.opened_at is None:
            return "closed"
        if self.clock() - circuit.opened_at < self.cooldown or circuit.probing:
            return "open"
        return "half_open"

    def open_origins(self) -> int:
        """How many origins' circuits are open or half-open now."""
        return sum(1 for circuit in self._circuits.values() if circuit.opened_at is not None)

    def admit(self, origin: Origin) -> bool:
        """Let an attempt to `origin` go, or raise `CircuitOpen` (nothing may be sent).

        Returns whether the attempt is the probe: once the cooldown is over, one attempt is
        admitted as the probe, and until its verdict is recorded the others still fail fast.
        """
        circuit = self._circuits.get(origin)
        if circuit is None or circuit.opened_at is None:
            return False
        left = circuit.opened_at + self.cooldown - self.clock()
        if left <= 0 and not circuit.probing:
            circuit.probing = True
            return True
        scheme, host, port = origin
        times = "time" if circuit.failures == 1 else "times"
        wait = f"for {left:.1f} s more" if left > 0 else "until a probe succeeds"
        raise CircuitOpen(
            f"circuit_open: {scheme}://{host}:{port} failed {circuit.failures} {times} in a row; "
            f"requests to it are paused {wait}",
            field="url",
        )

    def record(self, origin: Origin, verdict: Verdict, *, probe: bool = False) -> None:
        """Count an admitted attempt's verdict: a success closes the circuit, `threshold`
        failures in a row (or a failed probe) open it; a neutral probe frees the probe slot."""
        circuit = self._circuits.get(origin)
        if verdict is Verdict.SUCCESS:
            self._circuits.pop(origin, None)
            return
        if verdict is Verdict.NEUTRAL:
            if probe and circuit is not None:
                circuit.probing = False
            return
        if circuit is None:
            circuit = self._circuits[origin] = _Circuit()
            while len(self._circuits) > MAX_TRACKED_ORIGINS:
                self._circuits.popitem(last=False)
        self._circuits.move_to_end(origin)
        circuit.failures += 1
        if probe or circuit.failures >= self.threshold:
            circuit.opened_at = self.clock()
        if probe:
            circuit.probing = False
