"""Fair outbound capacity: slots per company, per origin and per process, against real upstreams.

The upstreams are loopback aiohttp servers (a different port is a different origin) that count
the requests they are answering at once, so a test sees how many connections were really open.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from hooksmith.engine import EgressPolicy, Engine, parse_webhook
from hooksmith.engine.capacity import Capacity, Gate, Lease, OutboundLimits
from hooksmith.engine.errors import NoFreeConnection, Timeout
from hooksmith.engine.transport import OutgoingRequest, Transport
from tests.upstream import Upstream, serve

LOOPBACK = EgressPolicy.from_setting("127.0.0.1/32")


@dataclass
class Gauge:
    """How many requests an upstream is answering now, and the most it answered at once."""

    now: int = 0
    most: int = 0
    released: threading.Event = field(default_factory=threading.Event)  # slow ones end now


def gauged_app(gauge: Gauge) -> Callable[[Upstream], web.Application]:
    def build(_upstream: Upstream) -> web.Application:
        async def slow(request: web.Request) -> web.Response:
            gauge.now += 1
            gauge.most = max(gauge.most, gauge.now)
            ends = time.monotonic() + float(request.query.get("seconds", "3"))
            try:
                while time.monotonic() < ends and not gauge.released.is_set():
                    await asyncio.sleep(0.01)
            finally:
                gauge.now -= 1
            return web.json_response({"slow": True})

        async def fast(_request: web.Request) -> web.Response:
            return web.json_response({"fast": True})

        async def hop(_request: web.Request) -> web.Response:
            return web.Response(status=302, headers={"Location": "/fast"})

        app = web.Application()
        app.router.add_get("/slow", slow)
        app.router.add_get("/fast", fast)
        app.router.add_get("/hop", hop)
        return app

    return build


@pytest.fixture
def slow_gauge() -> Gauge:
    return Gauge()


@pytest.fixture
def slow_origin(slow_gauge: Gauge) -> Iterator[Upstream]:
    with serve(gauged_app(slow_gauge)) as running:
        yield running
        slow_gauge.released.set()


@pytest.fixture
def fast_origin() -> Iterator[Upstream]:
    gauge = Gauge()
    with serve(gauged_app(gauge)) as running:
        yield running
        gauge.released.set()


@pytest.fixture
async def transport() -> AsyncIterator[Transport]:
    limits = OutboundLimits(per_origin=4, per_company=6, total=100)
    async with Transport(LOOPBACK, capacity=Capacity(limits)) as sending:
        yield sending


def get(url: str) -> OutgoingRequest:
    return OutgoingRequest("GET", url, ())


async def until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll `check()` until it is true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not true in time"
        await asyncio.sleep(0.01)


async def test_a_slow_origin_does_not_delay_a_fast_one(
    transport: Transport, slow_origin: Upstream, fast_origin: Upstream, slow_gauge: Gauge
) -> None:
    slow = [
        asyncio.create_task(
            transport.send(get(slow_origin.url("/slow?seconds=3")), deadline=time.monotonic() + 10)
        )
        for _ in range(10)
    ]
    await until(lambda: slow_gauge.now == 4)  # the per-origin limit; six more are queued
    started = time.monotonic()
    reply = await transport.send(get(fast_origin.url("/fast")), deadline=started + 5)
    elapsed = time.monotonic() - started
    assert reply.status == 200
    assert elapsed < 0.5
    assert not any(task.done() for task in slow)
    assert transport.capacity.in_use(("http", "127.0.0.1", slow_origin.port)) == 4
    for task in slow:
        task.cancel()
    await asyncio.gather(*slow, return_exceptions=True)
    assert slow_gauge.most == 4


async def test_queued_requests_to_an_origin_all_succeed_in_turn(
    transport: Transport, slow_origin: Upstream, slow_gauge: Gauge
) -> None:
    deadline = time.monotonic() + 10
    replies = await asyncio.gather(
        *(
            transport.send(get(slow_origin.url("/slow?seconds=0.3")), deadline=deadline)
            for _ in range(12)
        )
    )
    assert [reply.status for reply in replies] == [200] * 12
    assert slow_gauge.most == 4
    assert transport.capacity.in_use(("http", "127.0.0.1", slow_origin.port)) == 0


async def test_a_company_limit_queues_only_that_company(
    slow_origin: Upstream, fast_origin: Upstream, slow_gauge: Gauge
) -> None:
    limits = OutboundLimits(per_origin=50, per_company=2, total=100)
    async with Transport(LOOPBACK, capacity=Capacity(limits)) as transport:
        busy = [
            asyncio.create_task(
                transport.send(
                    get(slow_origin.url("/slow?seconds=3")),
                    deadline=time.monotonic() + 10,
                    company=1,
                )
            )
            for _ in range(2)
        ]
        await until(lambda: slow_gauge.now == 2)
        started = time.monotonic()
        # Another company reaches the same slow origin's fast route and the other origin at once.
        for url in (slow_origin.url("/fast"), fast_origin.url("/fast")):
            reply = await transport.send(get(url), deadline=started + 5, company=2)
            assert reply.status == 200
        assert time.monotonic() - started < 0.5
        # The busy company waits for its own slot, whatever the origin.
        with pytest.raises(NoFreeConnection) as caught:
            await transport.send(
                get(fast_origin.url("/fast")), deadline=time.monotonic() + 0.3, company=1
            )
        assert caught.value.message == (
            "timeout: timed out after 0.3 s waiting for a free connection to "
            f"127.0.0.1:{fast_origin.port} (per-company limit 2)"
        )
        for task in busy:
            task.cancel()
        await asyncio.gather(*busy, return_exceptions=True)


async def test_a_wait_past_the_deadline_is_a_timeout_naming_the_connection_wait(
    slow_origin: Upstream, slow_gauge: Gauge
) -> None:
    limits = OutboundLimits(per_origin=1)
    async with Transport(LOOPBACK, capacity=Capacity(limits)) as transport:
        holder = asyncio.create_task(
            transport.send(get(slow_origin.url("/slow?seconds=3")), deadline=time.monotonic() + 10)
        )
        await until(lambda: slow_gauge.now == 1)
        started = time.monotonic()
        with pytest.raises(Timeout) as caught:
            await transport.send(get(slow_origin.url("/slow?seconds=0")), deadline=started + 0.5)
        assert 0.4 <= time.monotonic() - started <= 1.0
        assert caught.value.kind == "timeout"
        assert caught.value.message == (
            "timeout: timed out after 0.5 s waiting for a free connection to "
            f"127.0.0.1:{slow_origin.port} (per-origin limit 1)"
        )
        # The queued request gave nothing back twice and left no waiter behind.
        origin = ("http", "127.0.0.1", slow_origin.port)
        assert transport.capacity.in_use(origin) == 1
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)
        assert transport.capacity.in_use(origin) == 0


async def test_the_process_limit_is_named_when_it_is_the_one_waited_for(
    slow_origin: Upstream, fast_origin: Upstream, slow_gauge: Gauge
) -> None:
    limits = OutboundLimits(per_origin=10, per_company=10, total=1)
    async with Transport(LOOPBACK, capacity=Capacity(limits)) as transport:
        holder = asyncio.create_task(
            transport.send(get(slow_origin.url("/slow?seconds=3")), deadline=time.monotonic() + 10)
        )
        await until(lambda: slow_gauge.now == 1)
        with pytest.raises(NoFreeConnection, match=r"\(process limit 1\)$"):
            await transport.send(get(fast_origin.url("/fast")), deadline=time.monotonic() + 0.2)
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)


async def test_a_redirect_hop_gives_its_slot_back_before_the_next(
    fast_origin: Upstream,
) -> None:
    limits = OutboundLimits(per_origin=1, per_company=1, total=1)
    async with Transport(LOOPBACK, capacity=Capacity(limits)) as transport:
        reply = await transport.send(
            get(fast_origin.url("/hop")), deadline=time.monotonic() + 5, company=3
        )
        assert (reply.status, reply.redirects) == (200, 1)
        assert transport.capacity.in_use(("http", "127.0.0.1", fast_origin.port)) == 0


async def test_the_engine_reports_the_wait_and_the_breaker_does_not_count_it(
    slow_origin: Upstream, slow_gauge: Gauge
) -> None:
    hook = parse_webhook({"name": "w", "url": slow_origin.url("/slow?seconds=0"), "timeout": 0.3})
    async with Engine(policy=LOOPBACK, outbound=OutboundLimits(per_company=1)) as engine:
        holder = asyncio.create_task(
            engine.transport.send(
                get(slow_origin.url("/slow?seconds=3")), deadline=time.monotonic() + 10, company=5
            )
        )
        await until(lambda: slow_gauge.now == 1)
        for _ in range(engine.breaker.threshold + 1):
            result = await engine.execute(hook, {}, company=5)
            assert result.error is not None
            assert result.error.kind == "timeout"
            assert "waiting for a free connection" in result.error.message
            assert result.error.message.endswith("(per-company limit 1)")
        # Another company goes through: the circuit of the origin did not open.
        result = await engine.execute(hook, {}, company=6)
        assert result.ok, result.error
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)


async def test_gates_hand_slots_over_in_arrival_order() -> None:
    gate = Gate("per-origin", 1)
    await gate.enter()
    order: list[int] = []

    async def queued(number: int) -> None:
        await gate.enter()
        order.append(number)
        gate.leave()

    waiting = [asyncio.create_task(queued(n)) for n in range(5)]
    await asyncio.sleep(0)
    waiting[2].cancel()  # a waiter that gave up is skipped
    await asyncio.sleep(0)
    gate.leave()
    await asyncio.gather(*waiting, return_exceptions=True)
    assert order == [0, 1, 3, 4]
    assert gate.in_use == 0


async def test_a_slot_handed_to_a_cancelled_waiter_is_passed_on() -> None:
    gate = Gate("per-origin", 1)
    await gate.enter()
    first = asyncio.create_task(gate.enter())
    second = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    gate.leave()  # the slot goes to `first`…
    first.cancel()  # …which is cancelled before it runs again
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.wait_for(second, 1)
    assert gate.in_use == 1
    gate.leave()
    assert gate.in_use == 0


async def test_idle_gates_are_dropped() -> None:
    capacity = Capacity(OutboundLimits(per_origin=2, per_company=2, total=10))
    lease = Lease()
    origins = [("https", f"tenant-{n}.example.com", 443) for n in range(100)]
    for origin in origins:
        await capacity.take(lease, origin, company=origin[1])
        capacity.give_back(lease)
    assert lease.gates == []
    assert capacity.in_use(origins[0]) == 0
    assert capacity.tracked() == (0, 0)


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"per_origin: must be at least 1 \(got 0\)"):
        OutboundLimits(per_origin=0)
