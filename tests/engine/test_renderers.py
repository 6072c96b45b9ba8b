"""The renderer pool: what is not straight-line renders in a process that is killed at the
deadline, limited in memory, and replaced; straight-line work never leaves the event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from hooksmith.engine import Engine, RendererPool
from tests.factories import LOOPBACK, SEED_BODY, conversation, make_webhook
from tests.upstream import Upstream

LOOPS = (
    "{% for i in range(100) %}{% for j in range(900) %}"
    "{{ (range(9999)|list|sort)|length }}{% endfor %}{% endfor %}"
)
HUGE_STRINGS = (
    "{% set a = 'x' * 999990 %}{% set b = ["
    + ", ".join(f"a ~ {i}" for i in range(700))
    + '] %}{"n": {{ b|length }}}'
)
HUGE_SOURCE = "{" + "".join(f'"k{i}": "{{{{ a.b }}}}", ' for i in range(11_000)) + '"z": 1}'
LIST_BODY = '[{% for item in items %}"{{ item }}"{% if not loop.last %}, {% endif %}{% endfor %}]'


@pytest.fixture
async def engine() -> AsyncIterator[Engine]:
    async with Engine(policy=LOOPBACK, renderers=RendererPool(processes=1)) as running:
        yield running


async def test_straight_line_work_renders_on_the_event_loop(
    engine: Engine, upstream: Upstream
) -> None:
    hook = make_webhook(
        method="POST",
        url=upstream.url("/echo/{{ certainly.botId }}"),
        headers=[{"key": "X-Session", "value": "{{ certainly.sessionId }}"}],
        body=SEED_BODY,
        custom_variables=[{"name": "path", "mapper": "response.path"}],
    )
    result = await engine.execute(hook, conversation())
    assert result.ok, result.error
    assert result.custom_variables["path"].startswith("/echo/")
    assert engine.renderers is not None
    assert engine.renderers.running == 0


async def test_straight_line_work_past_its_share_of_the_event_loop_goes_on_in_the_pool(
    engine: Engine,
) -> None:
    # Straight-line, but each `tojson` of 100,000 numbers takes milliseconds of CPU.
    body = '{"n": {{ ' + " + ".join(["(items|tojson|length)"] * 4) + " }}}"
    items = list(range(100_000))
    result = await engine.render_async(make_webhook(body=body), {"items": items})
    assert result.ok, result.error
    assert result.request is not None
    assert result.request.body == f'{{"n": {4 * len(str(items))}}}'
    assert engine.renderers is not None
    assert engine.renderers.running == 1


async def test_other_work_renders_in_a_renderer_process(engine: Engine, upstream: Upstream) -> None:
    hook = make_webhook(
        method="POST",
        url=upstream.url("/echo"),
        body=LIST_BODY,
        custom_variables=[
            {"name": "sorted", "mapper": "response.body|list|sort|join"},
            {"name": "method", "mapper": "response.method"},
            {"name": "function", "mapper": "range"},
        ],
        success_condition="response.body|list|select|list|length > 3",
    )
    result = await engine.execute(hook, conversation(items=["b", "c", "a"]))
    assert result.error is not None  # the function: a mapper yields JSON values only
    assert result.error.kind == "mapping_error"
    assert upstream.received[0]["body"] == '["b", "c", "a"]'
    assert result.custom_variables["method"] == "POST"
    assert result.custom_variables["sorted"] == "".join(sorted('["b", "c", "a"]'))
    function = next(o for o in result.mapping if o.name == "function")
    assert function.value is None
    assert "not a JSON value" in (function.reason or "")
    assert engine.renderers is not None
    assert engine.renderers.running == 1


async def test_a_render_past_its_deadline_is_killed_and_the_pool_keeps_serving(
    engine: Engine,
) -> None:
    started = time.monotonic()
    result = await engine.render_async(make_webhook(body=HUGE_SOURCE, timeout=0.5), {})
    assert time.monotonic() - started < 3  # its compile alone takes seconds
    assert result.error is not None
    assert result.error.kind == "render_error"
    assert "time-out" in result.error.message

    result = await engine.render_async(make_webhook(body=LOOPS, timeout=1), {})
    assert result.error is not None
    assert "time-out" in result.error.message

    result = await engine.render_async(make_webhook(body=LIST_BODY), {"items": [1, 2]})
    assert result.ok, result.error
    assert result.request is not None
    assert result.request.body == '["1", "2"]'


async def test_a_render_past_its_memory_limit_fails_and_the_process_serves_on(
    engine: Engine,
) -> None:
    result = await engine.render_async(make_webhook(body=HUGE_STRINGS, timeout=10), {})
    assert result.error is not None
    assert result.error.kind == "render_error"
    assert "memory" in result.error.message

    result = await engine.render_async(make_webhook(body=LIST_BODY), {"items": ["x"]})
    assert result.ok, result.error


async def test_one_owner_has_at_most_half_of_the_processes() -> None:
    pool = RendererPool(processes=2)
    await pool.start()
    async with Engine(policy=LOOPBACK, renderers=pool) as engine:
        slow = make_webhook(body=LOOPS, timeout=2)
        first = asyncio.create_task(engine.render_async(slow, {}, owner="attacker"))
        second = asyncio.create_task(engine.render_async(slow, {}, owner="attacker"))
        quick = await engine.render_async(
            make_webhook(body=LIST_BODY), {"items": [1]}, owner="bystander"
        )
        assert quick.ok, quick.error
        assert not first.done()
        for result in await asyncio.gather(first, second):
            assert result.error is not None
            assert "time-out" in result.error.message


async def test_the_library_renders_everything_in_its_own_process() -> None:
    engine = Engine(policy=LOOPBACK)
    result = engine.render(make_webhook(body=LIST_BODY), {"items": ["x"]})
    assert result.ok, result.error
    assert engine.renderers is None
