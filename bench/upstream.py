"""A minimal JSON upstream for the benchmarks, run as its own process (argument: the port)."""

from __future__ import annotations

import sys

from aiohttp import web

REPLY = b'{"ticket": {"id": 4711, "status": "open"}, "agent": {"name": "Sam"}, "queue": 3}'


async def answer(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=REPLY, content_type="application/json")


def main() -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
