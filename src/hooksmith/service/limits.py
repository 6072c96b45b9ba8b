"""Per-company protection of the service and of upstreams: a rate limit (token bucket) on
executions and test runs, and a cap on how many of them run at once.

Both are kept in this server process, with no shared store on the execute path: with N servers
on one PostgreSQL each takes its share (`set_servers(N)`, from the heartbeat roll in
service/roll.py), so the company gets about the configured figures in all. Refusals raise
`RateLimited`, which the API answers with 429 and `Retry-After`.

>>> limits = CompanyLimits(rate=1, burst=1, concurrency=1, clock=lambda: 0.0)
>>> limits.take(7)
>>> limits.take(7)
Traceback (most recent call last):
  ...
hooksmith.service.errors.RateLimited: too many executions for this company: at most 1 per second
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from hooksmith.service.errors import RateLimited

MAX_COMPANIES = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class CompanyLimits:
    """A token bucket (`rate` per second, `burst` at once) and `concurrency` slots per company."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.configured = (rate, burst, concurrency)
        self.servers = 1
        self.rate, self.burst, self.concurrency = float(rate), burst, concurrency
        self.clock = clock
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()
        self._running: dict[int, int] = {}

    def set_servers(self, servers: int) -> None:
        """Take this process's share of the configured figures when `servers` share them.

        >>> limits = CompanyLimits(rate=30, burst=30, concurrency=32)
        >>> limits.set_servers(3)
        >>> limits.rate, limits.burst, limits.concurrency
        (10.0, 10, 11)
        """
        servers = max(1, servers)
        rate, burst, concurrency = self.configured
        self.servers = servers
        self.rate = rate / servers
        self.burst = max(1, round(burst / servers))
        self.concurrency = max(1, math.ceil(concurrency / servers))

    def take(self, company_id: int) -> None:
        """Spend one token of the company's bucket, or raise `RateLimited` with the wait."""
        now = self.clock()
        bucket = self._buckets.get(company_id)
        if bucket is None:
            bucket = self._buckets[company_id] = _Bucket(float(self.burst), now)
            if len(self._buckets) > MAX_COMPANIES:
                self._buckets.popitem(last=False)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self._buckets.move_to_end(company_id)
        if bucket.tokens < 1:
            wait = (1 - bucket.tokens) / self.rate
            raise RateLimited(
                f"too many executions for this company: at most {self.rate:g} per second",
                retry_after=max(1, math.ceil(wait)),
            )
        bucket.tokens -= 1

    @asynccontextmanager
    async def admit(self, company_id: int) -> AsyncIterator[None]:
        """Hold one of the company's slots while the block runs (after spending a token)."""
        running = self._running.get(company_id, 0)
        if running >= self.concurrency:
            raise RateLimited(
                f"too many executions of this company at once: at most {self.concurrency}",
                retry_after=1,
            )
        self.take(company_id)
        self._running[company_id] = running + 1
        try:
            yield
        finally:
            left = self._running[company_id] - 1
            if left:
                self._running[company_id] = left
            else:
                del self._running[company_id]
