"""The bench's yardstick: a minimal Starlette app doing the bench webhook's work by hand.

Run as its own process under uvicorn with uvloop and httptools (arguments: its port and the
upstream's port). For every POSTed conversation it builds the body the bench webhook's seed
template renders (the same fields, as JSON), sends it with the bearer token, the 3 headers and
the 2 query params on one pooled aiohttp session (opened in the lifespan), and answers with the
3 values the webhook's custom variables map: what any service in front of the upstream cannot
avoid doing, without a definition, a sandbox, a run record or limits.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "bench-token-123"  # as in bench/engine.py's bench_webhook


def ticket_body(conversation: dict[str, Any]) -> dict[str, Any]:
    """The fields of examples/seed-sample-body.jinja, taken from the conversation."""
    certainly: dict[str, Any] = conversation["certainly"]
    fb: dict[str, Any] = conversation.get("fb", {})
    return {
        "lastName": fb.get("lastName", {}),
        "replyData": certainly.get("replyData", {}),
        "sessionId": certainly["sessionId"],
        "attachedMedia": certainly["attachedMedia"],
        "direction": certainly["direction"],
        "reply": certainly["reply"],
        "extractedData": certainly.get("extractedData", {}),
        "botId": certainly["botId"],
        "botDeploymentId": certainly["botDeploymentId"],
        "firstName": fb.get("firstName", {}),
        "customVariables": certainly.get("customVariables", {}),
        "moduleId": certainly["moduleId"],
        "to": certainly["to"],
        "from": certainly["from"],
        "botTrainedModelId": certainly["botTrainedModelId"],
    }


def build_app(upstream: int) -> Starlette:
    url = f"http://127.0.0.1:{upstream}/tickets"
    pool: dict[str, aiohttp.ClientSession] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        yield
        await pool["session"].close()

    async def execute(request: Request) -> JSONResponse:
        conversation = await request.json()
        certainly = conversation["certainly"]
        headers = {
            "X-Bot": str(certainly["botId"]),
            "X-Session": str(certainly["sessionId"]),
            "Accept": "application/json",
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/json",
        }
        params = {"channel": str(certainly["to"]), "v": "2"}
        body = json.dumps(ticket_body(conversation))
        async with pool["session"].post(url, params=params, headers=headers, data=body) as reply:
            status = reply.status
            answer = json.loads(await reply.read())
        variables = {
            "ticket_id": answer["ticket"]["id"],
            "ticket_status": str(answer["ticket"]["status"]),
            "agent": answer["agent"]["name"],
        }
        return JSONResponse({"ok": 200 <= status < 300, "custom_variables": variables})

    return Starlette(routes=[Route("/", execute, methods=["POST"])], lifespan=lifespan)


def main() -> None:
    port, upstream = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(
        build_app(upstream),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
