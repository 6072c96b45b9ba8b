"""How soon another server hears of a change: a save's notice, from `announce` in one process's
`PostgresNotices` to the handler of another's, over PostgreSQL LISTEN/NOTIFY.

    .venv/bin/python bench/notices.py [--notices 500]

Both listeners run in this process on their own connections, as two servers would; each notice
is announced once the previous one was heard, and the report gives p50/p99/max of the time to
hear it. The servers' cache window (`HOOKSMITH_WEBHOOK_CACHE_SECONDS`, 3 s) stays the fallback.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

import asyncpg

from hooksmith.service.invalidation import PostgresNotices

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def measure(count: int) -> list[float]:
    name = f"hooksmith_notices_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    heard: asyncio.Queue[float] = asyncio.Queue()
    sender = await PostgresNotices.open(url, lambda kind, ident: None)
    listener = await PostgresNotices.open(
        url, lambda kind, ident: heard.put_nowait(time.perf_counter())
    )
    try:
        await asyncio.sleep(0.5)  # both LISTENs are in place
        delays = []
        for ident in range(count):
            started = time.perf_counter()
            sender.announce("webhook", ident)
            delays.append(await asyncio.wait_for(heard.get(), timeout=5) - started)
        return delays
    finally:
        await sender.close()
        await listener.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=500)
    delays = sorted(asyncio.run(measure(parser.parse_args().notices)))
    ms = [delay * 1000 for delay in delays]
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"{len(ms)} notices heard by the other listener: p50 {statistics.median(ms):.2f} ms, "
        f"p99 {p99:.2f} ms, max {ms[-1]:.2f} ms"
    )


if __name__ == "__main__":
    main()
