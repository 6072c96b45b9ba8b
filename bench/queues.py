"""Which job queue carries async runs: enqueue and complete N tiny jobs with 2 worker processes.

    .venv/bin/pip install -e '.[bench]'    # saq and redis, for the comparison only
    .venv/bin/python bench/queues.py [--jobs 2000] [--backends procrastinate,saq]

For each candidate (procrastinate on PostgreSQL 127.0.0.1:5432, saq on Redis 127.0.0.1:6379)
it starts two worker processes (concurrency 10 each), enqueues N jobs one by one as the API
would (one defer per request), and reports enqueue rate, jobs completed per second and the
end-to-end latency (enqueue → job body runs) p50/p99. Each job appends its latency to a file
shared by the workers, so both queues are measured the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import redis.asyncio as aioredis

POSTGRES = "postgresql://postgres@127.0.0.1:5432/"
REDIS = "redis://127.0.0.1:6379/0"
CONCURRENCY = 10


def _record(out: str, enqueued_at: float) -> None:
    with open(out, "a") as handle:
        handle.write(f"{time.time() - enqueued_at}\n")


# procrastinate -------------------------------------------------------------------------------


def _procrastinate_app(dsn: str) -> Any:
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))

    @app.task(name="noop")
    async def noop(out: str, enqueued_at: float) -> None:
        _record(out, enqueued_at)

    return app


async def _procrastinate_worker(target: str) -> None:
    app = _procrastinate_app(target)
    async with app.open_async():
        await app.run_worker_async(concurrency=CONCURRENCY, install_signal_handlers=True)


async def _procrastinate_enqueue(target: str, jobs: int, out: str, pause: float) -> float:
    app = _procrastinate_app(target)
    async with app.open_async():
        task = app.tasks["noop"]
        started = time.perf_counter()
        for _ in range(jobs):
            await task.defer_async(out=out, enqueued_at=time.time())
            if pause:
                await asyncio.sleep(pause)
        return time.perf_counter() - started


def _procrastinate_setup() -> str:
    import procrastinate

    name = f"hooksmith_bench_queue_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES + "postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    dsn = POSTGRES + name
    app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=dsn))
    with app.open():
        app.schema_manager.apply_schema()
    return dsn


def _procrastinate_teardown(dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES + "postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# saq -----------------------------------------------------------------------------------------


async def _noop_saq(ctx: Any, *, out: str, enqueued_at: float) -> None:
    _record(out, enqueued_at)


async def _saq_worker(target: str) -> None:
    from saq import Queue, Worker

    queue = Queue.from_url(REDIS, name=target)
    worker = Worker(queue, [("noop", _noop_saq)], concurrency=CONCURRENCY)
    await worker.start()


async def _saq_enqueue(target: str, jobs: int, out: str, pause: float) -> float:
    from saq import Queue

    queue = Queue.from_url(REDIS, name=target)
    await queue.connect()
    try:
        started = time.perf_counter()
        for _ in range(jobs):
            await queue.enqueue("noop", out=out, enqueued_at=time.time())
            if pause:
                await asyncio.sleep(pause)
        return time.perf_counter() - started
    finally:
        await queue.disconnect()


def _saq_setup() -> str:
    return f"hooksmith-bench-{uuid.uuid4().hex[:8]}"


def _saq_teardown(target: str) -> None:
    async def clean() -> None:
        client = aioredis.Redis.from_url(REDIS)
        keys = [key async for key in client.scan_iter(f"saq:{target}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()

    asyncio.run(clean())


BACKENDS: dict[str, Any] = {
    "procrastinate": (_procrastinate_setup, _procrastinate_worker, _procrastinate_enqueue,
                      _procrastinate_teardown),
    "saq": (_saq_setup, _saq_worker, _saq_enqueue, _saq_teardown),
}  # fmt: skip


def _wait_for_lines(path: Path, count: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= count:
            return time.perf_counter()
        time.sleep(0.01)
    raise TimeoutError(f"only {path.read_text().count(chr(10))} of {count} jobs completed")


def measure(backend: str, jobs: int, pause: float = 0.0) -> dict[str, float]:
    """Flat out (`pause` 0: throughput, latency under backlog) or paced (latency when idle)."""
    setup, _, enqueue, teardown = BACKENDS[backend]
    target = setup()
    out = Path(tempfile.mkdtemp()) / "latencies.txt"
    workers = [
        subprocess.Popen([sys.executable, __file__, "--worker", backend, "--target", target])
        for _ in range(2)
    ]
    try:
        time.sleep(2.0)  # let both workers connect and start listening
        started = time.perf_counter()
        enqueue_seconds = asyncio.run(enqueue(target, jobs, str(out), pause))
        finished = _wait_for_lines(out, jobs, timeout=300)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        teardown(target)
    latencies = sorted(float(line) * 1000 for line in out.read_text().split())
    return {
        "enqueue_per_s": jobs / enqueue_seconds,
        "completed_per_s": jobs / (finished - started),
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--backends", default="procrastinate,saq")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        try:
            asyncio.run(BACKENDS[options.worker][1](options.target))
        except KeyboardInterrupt:
            pass
        return
    print(f"{options.jobs} jobs, 2 worker processes x concurrency {CONCURRENCY}, pid {os.getpid()}")
    for backend in options.backends.split(","):
        figures = measure(backend, options.jobs)
        paced = measure(backend, 200, pause=0.02)
        print(
            f"{backend:14} paced 50/s: latency p50 {paced['p50_ms']:.1f} ms "
            f"p99 {paced['p99_ms']:.1f} ms"
        )
        print(
            f"{backend:14} flat out: enqueue {figures['enqueue_per_s']:7.0f}/s  "
            f"completed {figures['completed_per_s']:7.0f} jobs/s  "
            f"latency p50 {figures['p50_ms']:6.1f} ms  p99 {figures['p99_ms']:7.1f} ms"
        )


if __name__ == "__main__":
    main()
