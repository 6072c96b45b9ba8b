"""The bench's yardstick: a raw ASGI app that forwards every POST as one fixed request.

Run as its own uvicorn process (arguments: the port and a JSON file holding the pre-rendered
request: method, url, headers, body). It reads the caller's body, sends the same request to
the upstream on one pooled aiohttp session (opened in the lifespan) and answers with the
upstream's JSON: what any service in front of the upstream cannot avoid doing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp
import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def build_app(request: dict[str, Any]) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    method: str = request["method"]
    url: str = request["url"]
    headers = [(str(key), str(value)) for key, value in request["headers"]]
    body: bytes = request["body"].encode()
    pool: dict[str, aiohttp.ClientSession] = {}

    async def lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                connector = aiohttp.TCPConnector(limit=100)
                pool["session"] = aiohttp.ClientSession(connector=connector)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await pool["session"].close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        more = True
        while more:  # the caller's body is read in full, as any real service must
            message = await receive()
            more = message.get("more_body", False)
        async with pool["session"].request(method, url, headers=headers, data=body) as reply:
            content = await reply.read()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(content)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    return app


def main() -> None:
    port = int(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as file:
        request = json.load(file)
    uvicorn.run(
        build_app(request), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
