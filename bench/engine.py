"""Benchmark: hooksmith's engine beside a bare aiohttp client sending the same request.

Both run in this process against one upstream process on 127.0.0.1, at concurrency 1 and 64;
the figure that matters is the ratio hooksmith / bare measured in the same run.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from harness import free_port
from hooksmith.engine import EgressPolicy, Engine, Webhook, parse_webhook
from hooksmith.engine.parsing import parse_body
from hooksmith.engine.phases import read_answer
from hooksmith.engine.request import prepare

ROOT = Path(__file__).resolve().parent.parent
SEED_BODY = (ROOT / "examples" / "seed-sample-body.jinja").read_text(encoding="utf-8")
CONVERSATION = json.loads((ROOT / "examples" / "conversation.json").read_text(encoding="utf-8"))
REQUESTS = {1: 2000, 64: 10000}


def bench_webhook(port: int) -> dict[str, object]:
    return {
        "name": "Bench",
        "method": "POST",
        "url": f"http://127.0.0.1:{port}/tickets",
        "auth": {"type": "bearer", "token": "bench-token-123"},
        "headers": [
            {"key": "X-Bot", "value": "{{ certainly.botId }}"},
            {"key": "X-Session", "value": "{{ certainly.sessionId }}"},
            {"key": "Accept", "value": "application/json"},
        ],
        "params": [{"key": "channel", "value": "{{ certainly.to }}"}, {"key": "v", "value": "2"}],
        "body": SEED_BODY,
        "custom_variables": [
            {"name": "ticket_id", "mapper": "response.ticket.id"},
            {"name": "ticket_status", "mapper": "{{ response.ticket.status }}"},
            {"name": "agent", "mapper": "response.agent.name"},
        ],
    }


async def measure(
    call: Callable[[], Awaitable[None]], total: int, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    for _ in range(min(200, total)):  # warm up pools and caches
        await call()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def main() -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "upstream.py"), str(port)])
    try:
        await wait_for_port(port)
        webhook = parse_webhook(bench_webhook(port))
        engine = Engine(policy=EgressPolicy.from_setting("127.0.0.1/32"))
        prepared = prepare(engine.sandbox, webhook, CONVERSATION, deadline=time.monotonic() + 60)
        body = (prepared.body or "").encode()
        connector = aiohttp.TCPConnector(limit=100)
        async with aiohttp.ClientSession(connector=connector) as bare:

            async def bare_call() -> None:
                async with bare.request(
                    prepared.method, prepared.url, headers=list(prepared.headers), data=body
                ) as reply:
                    json.loads(await reply.read())

            async def hooksmith_call() -> None:
                result = await engine.execute(webhook, CONVERSATION)
                if not result.ok:
                    raise RuntimeError(result.error)

            print(f"{'concurrency':>11} {'client':>10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
            for concurrency, total in REQUESTS.items():
                figures = {}
                for label, call in (("bare", bare_call), ("hooksmith", hooksmith_call)):
                    figures[label] = await measure(call, total, concurrency)
                    f = figures[label]
                    print(
                        f"{concurrency:>11} {label:>10} {f['rps']:>9.0f} {f['p50_ms']:>8.2f} "
                        f"{f['p99_ms']:>8.2f}"
                    )
                ratio = figures["hooksmith"]["rps"] / figures["bare"]["rps"]
                print(f"{concurrency:>11} {'ratio':>10} {ratio:>9.2f}  (hooksmith / bare req/s)")
        print(f"render + map: {render_and_map_us(engine, webhook):.0f} µs per execution")
        await engine.close()
    finally:
        server.terminate()
        server.wait(10)


def render_and_map_us(engine: Engine, webhook: Webhook) -> float:
    """CPU microseconds spent rendering the request and mapping the variables, without sending.

    The best of a few rounds of process CPU time: on a shared machine wall time mostly
    measures the neighbours.
    """
    reply = b'{"ticket": {"id": 4711, "status": "open"}, "agent": {"name": "Sam"}}'
    mappers = [variable.mapper for variable in webhook.custom_variables]
    rounds, best = 400, float("inf")
    for _ in range(8):
        started = time.process_time()
        for _ in range(rounds):
            deadline = time.monotonic() + 5
            prepared = prepare(engine.sandbox, webhook, CONVERSATION, deadline=deadline)
            # As Engine._finish reads the answer and maps the variables.
            scope = {**CONVERSATION, "response": parse_body(reply, webhook.response_type)}
            scope.update(status=200, headers={"content-type": "application/json"})
            reading = read_answer(engine.sandbox, mappers, None, scope, deadline=deadline)
            engine._map(webhook, reading, prepared.redactor)
        best = min(best, (time.process_time() - started) / rounds * 1e6)
    return best


async def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError("the bench upstream did not start")


if __name__ == "__main__":
    asyncio.run(main())
