"""Prometheus metrics of one server process: executions counted as they finish, the state of
the runtime's parts (connection slots, circuits, run writer, renderers, queue, sign-in locks)
read when `/metrics` is scraped.

Every metric lives in the registry of one `Metrics` (one per runtime, none at import time), and
every label has a bounded set of values: execution kind, outcome and error kind, never a
webhook or a company.

>>> metrics = Metrics()
>>> metrics.count("live", Result(ok=True), 0.012)
>>> b'hooksmith_executions_total{error="none",kind="live",outcome="success"} 1.0' in (
...     generate_latest(metrics.registry))
True
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Iterable
from typing import Final, Literal

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import Engine, Result
from hooksmith.service.errors import Unauthorized
from hooksmith.service.jobs.writer import RunWriter
from hooksmith.service.signin import SignInThrottle
from hooksmith.store.async_runs import AsyncRunRepository
from hooksmith.store.runs import RunKind

log = logging.getLogger(__name__)

CountedKind = Literal[RunKind, "async"]
"""What the execution counters tell apart: a stored run's kind, or a run done by a worker."""
# Seconds: from a cached lookup to the longest time-out (60 s) plus the service's margin.
LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 61.0)
ERROR_KINDS: Final = frozenset(
    {
        "invalid_definition",
        "render_error",
        "egress_blocked",
        "auth_failed",
        "circuit_open",
        "send_error",
        "connect_error",
        "timeout",
        "too_large",
        "http_error",
        "invalid_response",
        "mapping_error",
    }
)
QUEUE_DEPTH_MAX_AGE: Final = 5.0
QUEUE_DEPTH_TIMEOUT: Final = 1.0


class Metrics:
    """The registry of one server process, the execution counters and the scrape-time gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._executions = Counter(
            "hooksmith_executions",
            "Executions finished, by kind (live, test, async), outcome and error kind.",
            ("kind", "outcome", "error"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "hooksmith_execute_duration_seconds",
            "Time from taking the company's turn to the result, by execution kind.",
            ("kind",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._upstream = Histogram(
            "hooksmith_upstream_duration_seconds",
            "Time spent sending to the upstream (every attempt, connection wait included), by "
            "execution kind; executions that sent nothing are not observed.",
            ("kind",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # The labelled children, looked up once: `labels()` costs more than the count itself.
        self._children: dict[tuple[str, str, str], tuple[Counter, Histogram, Histogram]] = {}
        self.queue_depth: QueueDepth | None = None

    def count(self, kind: CountedKind, result: Result, seconds: float) -> None:
        """Count one finished execution and its latency."""
        error = result.error.kind if result.error is not None else "none"
        key = (kind, result.outcome, error)
        children = self._children.get(key)
        if children is None:
            named = error if error in ERROR_KINDS or error == "none" else "other"
            children = self._children[key] = (
                self._executions.labels(kind, result.outcome, named),
                self._latency.labels(kind),
                self._upstream.labels(kind),
            )
        children[0].inc()
        children[1].observe(seconds)
        if result.attempts:
            sent = sum(attempt.duration_ms for attempt in result.attempts)
            children[2].observe(sent / 1000)

    def watch(
        self,
        engine: Engine,
        writer: RunWriter,
        sign_ins: SignInThrottle,
        open_db: async_sessionmaker[AsyncSession],
    ) -> None:
        """Expose the state of the runtime's parts, read at each scrape."""
        self.queue_depth = QueueDepth(open_db)
        self.registry.register(RuntimeState(engine, writer, sign_ins, self.queue_depth))

    async def scrape(self) -> bytes:
        """Every metric in Prometheus' text format (the queue depth read again when stale)."""
        if self.queue_depth is not None:
            await self.queue_depth.refresh()
        return generate_latest(self.registry)


class QueueDepth:
    """The asynchronous runs pending and running, counted in the database at most every 5 s."""

    def __init__(
        self,
        open_db: async_sessionmaker[AsyncSession],
        *,
        max_age: float = QUEUE_DEPTH_MAX_AGE,
        timeout: float = QUEUE_DEPTH_TIMEOUT,
    ) -> None:
        self.open_db = open_db
        self.max_age = max_age
        self.timeout = timeout
        self.counts: dict[str, int] | None = None
        self._read_at = -max_age

    async def refresh(self) -> None:
        """Count again unless the last count is fresh; a failed count shows no figure."""
        now = time.monotonic()
        if now - self._read_at < self.max_age:
            return
        self._read_at = now  # scrapes arriving meanwhile keep the last figure
        try:
            async with asyncio.timeout(self.timeout), self.open_db() as db:
                self.counts = await AsyncRunRepository(db).unfinished_counts()
        except Exception as error:  # a scrape must answer while the database does not
            log.warning("metrics: could not count the async runs (%s)", type(error).__name__)
            self.counts = None


class RuntimeState(Collector):
    """Gauges and counters read from the runtime's parts when the registry is collected."""

    def __init__(
        self, engine: Engine, writer: RunWriter, sign_ins: SignInThrottle, depth: QueueDepth
    ) -> None:
        self.engine = engine
        self.writer = writer
        self.sign_ins = sign_ins
        self.depth = depth

    def describe(self) -> Iterable[Metric]:
        return ()  # nothing to check for clashes: these names are ours alone

    def collect(self) -> Iterable[Metric]:
        in_use, waiting = self.engine.transport.capacity.usage()
        yield _gauge(
            "hooksmith_outbound_connections_in_use",
            "Outbound connection slots of the process in use now.",
            in_use,
        )
        yield _gauge(
            "hooksmith_outbound_connections_waiting",
            "Requests waiting for a connection slot (company, origin or process) now.",
            waiting,
        )
        yield _gauge(
            "hooksmith_circuit_breaker_open_origins",
            "Origins whose circuit is open or half-open now.",
            self.engine.breaker.open_origins(),
        )
        yield _gauge(
            "hooksmith_run_writer_queued",
            "Live runs waiting to be written to the database now.",
            self.writer.queued,
        )
        yield CounterMetricFamily(
            "hooksmith_run_writer_failed",
            "Live runs that could not be stored since the server started.",
            value=self.writer.failed,
        )
        renderers = self.engine.renderers
        yield _gauge(
            "hooksmith_renderer_processes_running",
            "Renderer processes running now.",
            renderers.running if renderers is not None else 0,
        )
        yield CounterMetricFamily(
            "hooksmith_renderer_processes_killed",
            "Renderer processes killed past a deadline or ended out of memory mid-render.",
            value=renderers.killed if renderers is not None else 0,
        )
        yield _gauge(
            "hooksmith_sign_in_locked",
            "Client addresses and unknown emails this process holds locked now.",
            self.sign_ins.locked(),
        )
        yield CounterMetricFamily(
            "hooksmith_sign_in_locks",
            "Sign-in locks imposed by this process (accounts and addresses).",
            value=self.sign_ins.locks,
        )
        if self.depth.counts is not None:
            runs = GaugeMetricFamily(
                "hooksmith_async_runs",
                "Asynchronous runs not yet done, by status (read at most every 5 s).",
                labels=("status",),
            )
            for status, count in sorted(self.depth.counts.items()):
                runs.add_metric((status,), count)
            yield runs


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def check_metrics_token(token: SecretStr | None, authorization: str | None) -> None:
    """Refuse a scrape without `Authorization: Bearer <token>` when a metrics token is set."""
    if token is None:
        return
    scheme, _, given = (authorization or "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise Unauthorized("/metrics needs Authorization: Bearer with HOOKSMITH_METRICS_TOKEN")
