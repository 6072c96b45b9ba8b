"""A minimal JSON upstream for the benchmarks, run as its own process.

Arguments: the port, and `--record` to keep what the soak (bench/soak.py) checks: for every
request carrying `X-Soak-Marker`, the `Idempotency-Key` it came with (`GET /_deliveries`
answers them, marker → keys), and how many callbacks each run id was sent (`Hooksmith-Run-Id`).
A `ms` query parameter holds the answer that many milliseconds, as a slower API would.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

REPLY = b'{"ticket": {"id": 4711, "status": "open"}, "agent": {"name": "Sam"}, "queue": 3}'


async def answer(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=REPLY, content_type="application/json")


def recording_app() -> web.Application:
    """The upstream that keeps deliveries per marker and callbacks per run id."""
    deliveries: dict[str, list[str]] = {}
    callbacks: dict[str, int] = {}

    async def record(request: web.Request) -> web.Response:
        await request.read()
        marker = request.headers.get("X-Soak-Marker")
        if marker is not None:
            deliveries.setdefault(marker, []).append(request.headers.get("Idempotency-Key", ""))
        run_id = request.headers.get("Hooksmith-Run-Id")
        if run_id is not None:
            callbacks[run_id] = callbacks.get(run_id, 0) + 1
        if "ms" in request.query:
            await asyncio.sleep(int(request.query["ms"]) / 1000)
        return web.Response(body=REPLY, content_type="application/json")

    async def report(request: web.Request) -> web.Response:
        return web.json_response({"deliveries": deliveries, "callbacks": callbacks})

    app = web.Application()
    app.router.add_get("/_deliveries", report)
    app.router.add_route("*", "/{tail:.*}", record)
    return app


def main() -> None:
    if "--record" in sys.argv[2:]:
        app = recording_app()
    else:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
