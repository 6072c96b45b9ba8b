"""A callback receiver (and idempotent upstream) as a receiver should be written: it verifies
each callback's signature and keeps what it got per Idempotency-Key, so repeats are harmless."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hooksmith.service.jobs.callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.upstream import Upstream


@dataclass
class Receiver:
    """What arrived: every attempt, the verified callbacks by run id, upstream calls by key."""

    secret: bytes
    base_url: str = ""
    fail_first: int = 0  # answer 500 to this many callbacks first
    hold_first: float = 0.0  # the upstream holds its first request this long (a worker dies)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    callbacks: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: Counter[str] = field(default_factory=Counter)
    effects: set[str] = field(default_factory=set)
    upstream_calls: int = 0

    def url(self, path: str) -> str:
        return self.base_url + path


def receiving(receiver: Receiver, upstream: Upstream) -> web.Application:
    """Routes: POST /callback (signed callbacks), * /work (an upstream honouring keys)."""

    async def callback(request: web.Request) -> web.Response:
        raw = await request.read()
        valid = verify(
            receiver.secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            raw,
            request.headers.get(SIGNATURE_HEADER, ""),
        )
        receiver.attempts.append({"valid": valid, "headers": dict(request.headers)})
        if not valid:
            return web.json_response({"error": "bad signature"}, status=400)
        if len(receiver.attempts) <= receiver.fail_first:
            return web.json_response({"error": "try later"}, status=500)
        body = await request.json()
        receiver.callbacks.setdefault(body["run_id"], body)
        return web.json_response({"received": True})

    async def work(request: web.Request) -> web.Response:
        await request.read()
        key = request.headers.get("Idempotency-Key", "")
        receiver.keys[key] += 1
        receiver.upstream_calls += 1
        if receiver.upstream_calls == 1 and receiver.hold_first:
            await asyncio.sleep(receiver.hold_first)
        receiver.effects.add(key)  # the effect happens once per key, however often it is sent
        return web.json_response({"done": key, "times": receiver.keys[key]})

    app = web.Application()
    app.router.add_post("/callback", callback)
    app.router.add_route("*", "/work", work)
    return app
