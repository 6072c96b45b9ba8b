"""The bot's W3C trace context reaches the webhook's upstream as a new span of its trace."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.upstream import Upstream

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT}-01"


def sent(upstream: Upstream, name: str) -> list[str]:
    return [v for k, v in upstream.received[-1]["headers"] if k.lower() == name]


def assert_new_span_of_the_trace(upstream: Upstream, flags: str = "01") -> None:
    [traceparent] = sent(upstream, "traceparent")
    version, trace_id, parent_id, sent_flags = traceparent.split("-")
    assert (version, trace_id, sent_flags) == ("00", TRACE_ID, flags)
    assert parent_id != PARENT
    assert len(parent_id) == 16
    assert parent_id != "0" * 16


async def test_an_execute_passes_the_trace_on_with_a_new_parent_id(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    created = await client.post("/api/v1/webhooks", definition(upstream.url("/echo/orders")))
    path = f"/api/v1/webhooks/{created.body['id']}/execute"
    headers = {"traceparent": TRACEPARENT, "tracestate": "rojo=00f067aa0ba902b7,congo=t61rcWk"}
    reply = await client.post(path, {}, headers=headers)
    assert reply.status == 200, reply.text
    assert reply.body["ok"] is True
    assert_new_span_of_the_trace(upstream)
    assert sent(upstream, "tracestate") == ["rojo=00f067aa0ba902b7,congo=t61rcWk"]
    # Unsampled stays unsampled.
    reply = await client.post(path, {}, headers={"traceparent": TRACEPARENT[:-2] + "00"})
    assert reply.status == 200, reply.text
    assert_new_span_of_the_trace(upstream, flags="00")
    assert sent(upstream, "tracestate") == []


MALFORMED = [
    {"traceparent": "garbage"},
    {"traceparent": TRACEPARENT.upper()},
    {"traceparent": f"00-{'0' * 32}-{PARENT}-01"},
    {"traceparent": TRACEPARENT + "-more"},
    {"traceparent": "00-" + "a" * 600, "tracestate": "rojo=1"},
    {"tracestate": "rojo=1"},  # a state without a parent is no trace
]


async def test_a_malformed_traceparent_is_dropped_and_the_execute_succeeds(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    created = await client.post("/api/v1/webhooks", definition(upstream.url("/echo/orders")))
    for headers in MALFORMED:
        reply = await client.post(
            f"/api/v1/webhooks/{created.body['id']}/execute", {}, headers=headers
        )
        assert reply.status == 200, reply.text
        assert reply.body["ok"] is True
        assert sent(upstream, "traceparent") == [], headers
        assert sent(upstream, "tracestate") == [], headers


async def test_the_route_behind_the_shortcut_passes_it_on_too(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    created = await client.post("/api/v1/webhooks", definition(upstream.url("/echo/orders")))
    # A zero-padded id is one the shortcut leaves to the FastAPI route (its id is parsed there).
    path = f"/api/v1/webhooks/{created.body['id']:019d}/execute"
    reply = await client.post(path, {}, headers={"traceparent": TRACEPARENT})
    assert reply.status == 200, reply.text
    assert_new_span_of_the_trace(upstream)


async def test_an_async_run_passes_the_trace_on_when_it_runs(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    hook = definition(upstream.url("/echo/orders"), execution="async")
    created = await client.post("/api/v1/webhooks", hook)
    reply = await client.post(
        f"/api/v1/webhooks/{created.body['id']}/execute",
        {},
        headers={"traceparent": TRACEPARENT, "tracestate": "congo=t61rcWk"},
    )
    assert reply.status == 202, reply.text

    async def done() -> dict[str, Any] | None:
        run: dict[str, Any] = (await client.get(f"/api/v1/runs/{reply.body['run_id']}")).body
        return run if run["status"] == "done" else None

    run = await eventually(done)
    assert run["ok"] is True, run
    assert_new_span_of_the_trace(upstream)
    assert sent(upstream, "tracestate") == ["congo=t61rcWk"]
