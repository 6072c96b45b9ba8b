"""Fair outbound capacity: connection slots per company, per origin and for the whole process.

Before it connects, a request takes a slot of its company, then of its origin, then of the
process, and it gives them back once its response is read or released. A slot that is not free
is waited for in arrival order, under the request's own deadline. So a slow origin queues only
the requests to that origin, and a busy company only its own requests; the process-wide limit
is a safety net for file descriptors, set well above any one company's.

The company slot is taken first on purpose: a request waiting for its company holds nothing
that another company needs.

>>> capacity = Capacity(OutboundLimits(per_origin=2, per_company=4, total=100))
>>> lease = Lease()
>>> await capacity.take(lease, ("https", "api.example.com", 443), company=7)  # doctest: +SKIP
>>> capacity.give_back(lease)                                                 # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Final

Origin = tuple[str, str, int | None]

PER_ORIGIN: Final = 512
PER_COMPANY: Final = 256
TOTAL: Final = 4096


@dataclass(frozen=True)
class OutboundLimits:
    """How many connections may be in use at once: to one origin, by one company, in all."""

    per_origin: int = PER_ORIGIN
    per_company: int = PER_COMPANY
    total: int = TOTAL

    def __post_init__(self) -> None:
        for name in ("per_origin", "per_company", "total"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be at least 1 (got {getattr(self, name)})")


class Gate:
    """Slots of one limit: how many are in use and who waits, oldest first."""

    __slots__ = ("_home", "in_use", "key", "limit", "name", "waiters")

    def __init__(
        self, name: str, limit: int, key: Hashable = None, home: dict[Hashable, Gate] | None = None
    ) -> None:
        self.name = name
        self.limit = limit
        self.key = key
        self.in_use = 0
        # Futures of waiting requests; cancelled ones are skipped when a slot is handed on.
        self.waiters: deque[asyncio.Future[None]] = deque()
        self._home = home

    def describe(self) -> str:
        """The limit as a timeout message names it, e.g. 'per-origin limit 64'."""
        return f"{self.name} limit {self.limit}"

    async def enter(self) -> None:
        """Take a slot, waiting for one (in arrival order) when all are in use."""
        if self.in_use < self.limit:
            self.in_use += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.leave()  # handed a slot in the same moment as cancelled: pass it on
            raise

    def leave(self) -> None:
        """Give a slot back: straight to the oldest waiter, else to the pool."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot changes hands; `in_use` stays
                return
        self.in_use -= 1
        if self.in_use == 0 and self._home is not None:
            # Idle gates are dropped, so many short-lived origins leave nothing behind.
            self._home.pop(self.key, None)


@dataclass
class Lease:
    """The slots one request holds; while it waits (or when it gave up), the gate it waits at."""

    gates: list[Gate] = field(default_factory=list)
    waiting_at: Gate | None = None


class Capacity:
    """The gates of one process: one per origin and per company in use, and the process gate."""

    def __init__(self, limits: OutboundLimits | None = None) -> None:
        self.limits = limits or OutboundLimits()
        self._origins: dict[Hashable, Gate] = {}
        self._companies: dict[Hashable, Gate] = {}
        self._process = Gate("process", self.limits.total)

    async def take(self, lease: Lease, origin: Origin, company: Hashable = None) -> None:
        """Take the company's, the origin's and the process's slot into `lease`, in that order.

        A request without a company (the library, the CLI, callbacks) takes no company slot.
        On cancellation (the deadline) the slots taken so far are given back.
        """
        try:
            if company is not None:
                company_gate = self._gate(
                    self._companies, company, "per-company", self.limits.per_company
                )
                await self._enter(lease, company_gate)
            origin_gate = self._gate(self._origins, origin, "per-origin", self.limits.per_origin)
            await self._enter(lease, origin_gate)
            await self._enter(lease, self._process)
        except BaseException:
            self.give_back(lease)
            raise

    def give_back(self, lease: Lease) -> None:
        """Return every slot of `lease`, newest first; the lease may be used again."""
        while lease.gates:
            lease.gates.pop().leave()

    def in_use(self, origin: Origin) -> int:
        """How many connections to `origin` are in use now (0 for an origin never used)."""
        gate = self._origins.get(origin)
        return gate.in_use if gate is not None else 0

    def usage(self) -> tuple[int, int]:
        """How many connection slots of the process are in use, and how many requests wait."""
        gates = (*self._origins.values(), *self._companies.values(), self._process)
        waiting = sum(1 for gate in gates for waiter in gate.waiters if not waiter.done())
        return self._process.in_use, waiting

    def tracked(self) -> tuple[int, int]:
        """How many origins and companies hold or wait for slots now; idle ones are dropped."""
        return len(self._origins), len(self._companies)

    @staticmethod
    def _gate(gates: dict[Hashable, Gate], key: Hashable, name: str, limit: int) -> Gate:
        gate = gates.get(key)
        if gate is None:
            gate = gates[key] = Gate(name, limit, key, gates)
        return gate

    async def _enter(self, lease: Lease, gate: Gate) -> None:
        if gate.in_use < gate.limit:  # the common case: no wait, no future
            gate.in_use += 1
        else:
            # Left set if the wait is cancelled: the timeout message names this gate.
            lease.waiting_at = gate
            await gate.enter()
            lease.waiting_at = None
        lease.gates.append(gate)
