"""W3C Trace Context: what is a valid traceparent/tracestate, and what reaches the upstream."""

from __future__ import annotations

from typing import Any

import pytest

from hooksmith.engine import TraceContext
from tests.factories import conversation, loopback_engine, make_webhook
from tests.upstream import Upstream

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
VALID = f"00-{TRACE_ID}-{PARENT}-01"


def header(seen: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in seen["headers"] if k.lower() == name.lower()]


def test_a_valid_traceparent_is_read_with_its_state() -> None:
    trace = TraceContext.parse(VALID, "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7")
    assert trace == TraceContext(TRACE_ID, PARENT, "01", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")


def test_a_later_version_is_read_as_its_first_four_fields() -> None:
    trace = TraceContext.parse(f"cc-{TRACE_ID}-{PARENT}-01-what-comes-next")
    assert trace is not None
    assert trace.child().traceparent.startswith(f"00-{TRACE_ID}-")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "junk",
        f"00-{TRACE_ID.upper()}-{PARENT}-01",  # upper-case hex
        f"00-{'0' * 32}-{PARENT}-01",  # the all-zero trace id
        f"00-{TRACE_ID}-{'0' * 16}-01",  # the all-zero parent id
        f"ff-{TRACE_ID}-{PARENT}-01",  # the forbidden version
        f"00-{TRACE_ID}-{PARENT}-01-extra",  # version 00 has exactly four fields
        f"00-{TRACE_ID[:-1]}-{PARENT}-01",
        f"00-{TRACE_ID}-{PARENT}-1",
        f"00-{TRACE_ID}-{PARENT}-0g",
        f"00_{TRACE_ID}_{PARENT}_01",
        f"00-{TRACE_ID}-{PARENT}-01\r\nX-Evil: 1",
    ],
)
def test_an_invalid_traceparent_is_no_trace(value: str) -> None:
    assert TraceContext.parse(value, "a=1") is None


@pytest.mark.parametrize(
    "state",
    ["", " , ", "no-equals", "Upper=1", "a=1,a=2", "a=x\x00y", "a=" + "x" * 600, "a=1," * 33],
)
def test_an_invalid_tracestate_is_dropped_and_the_trace_kept(state: str) -> None:
    trace = TraceContext.parse(VALID, state)
    assert trace is not None
    assert trace.state is None


def test_a_child_is_a_new_span_of_the_same_trace() -> None:
    trace = TraceContext.parse(VALID, "a=1")
    assert trace is not None
    spans = {trace.child().parent_id for _ in range(100)}
    assert len(spans) == 100
    assert PARENT not in spans
    child = trace.child()
    assert child.traceparent == f"00-{TRACE_ID}-{child.parent_id}-01"
    assert child.headers() == (("traceparent", child.traceparent), ("tracestate", "a=1"))


async def test_the_upstream_gets_a_new_span_of_the_bots_trace(upstream: Upstream) -> None:
    trace = TraceContext.parse(VALID, "congo=t61rcWkgMzE")
    async with loopback_engine() as engine:
        result = await engine.execute(
            make_webhook(url=upstream.url("/echo")), conversation(), trace=trace
        )
    assert result.ok, result.error
    [sent] = header(upstream.received[0], "traceparent")
    version, trace_id, parent_id, flags = sent.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert parent_id != PARENT
    assert len(parent_id) == 16
    assert header(upstream.received[0], "tracestate") == ["congo=t61rcWkgMzE"]


async def test_without_a_trace_nothing_is_added(upstream: Upstream) -> None:
    async with loopback_engine() as engine:
        result = await engine.execute(make_webhook(url=upstream.url("/echo")), conversation())
    assert result.ok, result.error
    assert header(upstream.received[0], "traceparent") == []
    assert header(upstream.received[0], "tracestate") == []


async def test_the_webhooks_own_traceparent_header_wins(upstream: Upstream) -> None:
    own = "00-11111111111111111111111111111111-2222222222222222-00"
    hook = make_webhook(
        url=upstream.url("/echo"),
        headers=[{"key": "Traceparent", "value": own}],
    )
    async with loopback_engine() as engine:
        result = await engine.execute(hook, conversation(), trace=TraceContext.parse(VALID, "a=1"))
    assert result.ok, result.error
    assert header(upstream.received[0], "traceparent") == [own]
    assert header(upstream.received[0], "tracestate") == []
