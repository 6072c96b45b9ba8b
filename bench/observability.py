"""What request ids and trace context cost an execute: CPU µs per execute, in process.

The real app (`create_app` on a SQLite file, its lifespan, the bench webhook of
`bench/engine.py` against `bench/upstream.py` in its own process) is called as ASGI in a loop,
one execute at a time, in alternating rounds of three ways: without the request-id middleware
(the app's inner stack called directly), as served (with it), and as served with a
`traceparent` and `tracestate` on every execute. CPU is this process' `time.process_time`
(not the upstream's, nor the run writer's: runs are written at the end); each figure is the
median of the rounds, which start with each way in turn. Function calls per execute
(cProfile) are counted too: CPU time on a shared machine is noisy, the count much less so.
Then `timeit` of the middleware alone around an app that answers at once, and of reading the
trace headers. Run by hand: `.venv/bin/python bench/observability.py`.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet
from pydantic import SecretStr

from engine import CONVERSATION, bench_webhook, wait_for_port
from harness import free_port
from hooksmith.api import create_app
from hooksmith.api.requestids import RequestIds
from hooksmith.api.traces import trace_of
from hooksmith.engine import parse_webhook
from hooksmith.settings import Settings
from hooksmith.store import (
    SecretBox,
    TenantRepository,
    WebhookRepository,
    create_pool,
    db_opener,
    upgrade,
)

HERE = Path(__file__).resolve().parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
PER_ROUND = int(os.environ.get("BENCH_PER_ROUND", "200"))
TRACE_HEADERS = [
    (b"traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    (b"tracestate", b"congo=t61rcWkgMzE"),
]


async def seed(url: str, key: str, port: int) -> tuple[int, str]:
    """A company, its token and the bench webhook; (webhook id, token)."""
    await upgrade(url)
    database = create_pool(url)
    try:
        async with db_opener(database)() as db:
            tenants = TenantRepository(db)
            company = await tenants.create_company("bench", "Bench")
            _, token = await tenants.create_token("bench", company_id=company.id)
            hook = parse_webhook(bench_webhook(port))
            row = await WebhookRepository(db, SecretBox([key])).add(company.id, hook)
            await db.commit()
            return row.id, token
    finally:
        await database.dispose()


def execute_scope(app: Any, path: str, token: str, extra: list[tuple[bytes, bytes]]) -> Any:
    headers = [
        (b"host", b"bench"),
        (b"user-agent", b"bench/1"),
        (b"accept", b"*/*"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
        *extra,
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "app": app,
        "state": {},
    }


async def one_execute(asgi: Any, scope: Any, body: bytes) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await asgi(dict(scope, headers=list(scope["headers"])), receive, send)
    assert status == [200], status


async def full_path(workdir: Path, port: int) -> dict[str, float]:
    key = Fernet.generate_key().decode()
    var = workdir / "var"
    var.mkdir()
    url = f"sqlite+aiosqlite:///{var / 'bench.db'}"
    hook_id, token = await seed(url, key, port)
    settings = Settings(
        database_url=url,
        var_dir=var,
        secret_key=SecretStr(key),
        egress_allow="127.0.0.1",
        company_rate_per_second=1e6,
        company_rate_burst=1_000_000,
        company_concurrency=1000,
        # Runs are written when the bench ends, and the webhook and the caller stay cached, so
        # no write or lookup falls into one way's window.
        run_writer_interval=3600,
        run_writer_batch=1_000_000,
        webhook_cache_seconds=3600,
        run_sweep_seconds=3600,
        retention_interval_seconds=3600,
    )
    app = create_app(settings)
    body = orjson.dumps(CONVERSATION)
    path = f"/api/v1/webhooks/{hook_id}/execute"
    async with app.router.lifespan_context(app):
        plain = execute_scope(app, path, token, [])
        traced = execute_scope(app, path, token, TRACE_HEADERS)
        await one_execute(app, plain, body)  # builds the middleware stack
        stack = app.middleware_stack
        assert isinstance(stack, RequestIds)
        ways = {
            "without request ids": (stack.app, plain),
            "with request ids": (app, plain),
            "with request ids and a traceparent": (app, traced),
        }
        for _ in range(200):  # warm up every way
            for asgi, scope in ways.values():
                await one_execute(asgi, scope, body)
        figures: dict[str, list[float]] = {name: [] for name in ways}
        names = list(ways)
        for turn in range(ROUNDS):
            # Each round starts with another way, so none always follows the same neighbour.
            for name in names[turn % len(names) :] + names[: turn % len(names)]:
                asgi, scope = ways[name]
                gc.collect()
                started = time.process_time()
                for _ in range(PER_ROUND):
                    await one_execute(asgi, scope, body)
                figures[name].append((time.process_time() - started) / PER_ROUND * 1e6)
        calls = {
            name: await calls_per_execute(asgi, scope, body) for name, (asgi, scope) in ways.items()
        }
    medians = {f"CPU µs, {name}": statistics.median(values) for name, values in figures.items()}
    return medians | {f"function calls, {name}": count for name, count in calls.items()}


async def calls_per_execute(asgi: Any, scope: Any, body: bytes, count: int = 500) -> float:
    """Function calls per execute (cProfile's count): the same on a busy machine as a quiet one."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(count):
        await one_execute(asgi, scope, body)
    profile.disable()
    return float(pstats.Stats(profile).total_calls) / count  # type: ignore[attr-defined]


def alone() -> dict[str, float]:
    """µs of the middleware around an app that answers at once, and of `trace_of`."""

    async def answer(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def sent(message: Any) -> None:
        return None

    wrapped = RequestIds(answer)
    scope = execute_scope(None, "/x", "t", [])
    loop = asyncio.new_event_loop()

    def run(asgi: Any, count: int) -> float:
        async def many() -> None:
            for _ in range(count):
                await asgi(scope, None, sent)

        started = time.process_time()
        loop.run_until_complete(many())
        return (time.process_time() - started) / count * 1e6

    try:
        count = 200_000
        bare = min(run(answer, count) for _ in range(5))
        with_ids = min(run(wrapped, count) for _ in range(5))
    finally:
        loop.close()
    headers = execute_scope(None, "/x", "t", [])["headers"]
    traced = headers + TRACE_HEADERS
    number = 200_000
    no_trace = min(timeit.repeat(lambda: trace_of(headers), number=number, repeat=5)) / number
    a_trace = min(timeit.repeat(lambda: trace_of(traced), number=number, repeat=5)) / number
    return {
        "request-id middleware (its own cost)": with_ids - bare,
        "trace_of, no trace headers": no_trace * 1e6,
        "trace_of, traceparent + tracestate": a_trace * 1e6,
    }


async def measured_full_path(port: int) -> dict[str, float]:
    await wait_for_port(port)
    with tempfile.TemporaryDirectory(prefix="hooksmith-obs-") as workdir:
        return await full_path(Path(workdir), port)


def main() -> None:
    port = free_port()
    upstream = subprocess.Popen([sys.executable, str(HERE / "upstream.py"), str(port)])
    try:
        figures = asyncio.run(measured_full_path(port))
    finally:
        upstream.terminate()
        upstream.wait(10)
    print(f"per execute, in process (CPU: median of {ROUNDS} rounds of {PER_ROUND}):")
    for name, value in figures.items():
        print(f"  {value:8.1f}  {name}")
    print("alone (best of 5):")
    for name, value in alone().items():
        print(f"  {value:8.2f}  {name}")


if __name__ == "__main__":
    main()
