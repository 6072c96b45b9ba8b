"""A real HTTP server on 127.0.0.1, run in a thread, used as the upstream of webhooks in tests."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import web


@dataclass
class Upstream:
    """A running upstream: its base URL and every request it received, in order."""

    base_url: str
    port: int
    received: list[dict[str, Any]] = field(default_factory=list, repr=False)
    # What /scripted/{key} answers: status, Content-Type and body, set by the test.
    scripted: dict[str, tuple[int, str, bytes]] = field(default_factory=dict, repr=False)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


async def _record(upstream: Upstream, request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    seen = {
        "method": request.method,
        "path": request.path,
        "query": list(request.query.items()),
        "headers": list(request.headers.items()),
        "body": raw.decode("utf-8", "replace"),
    }
    upstream.received.append(seen)
    return seen


def build_app(upstream: Upstream) -> web.Application:
    """Routes: /echo (the request back as JSON), /status/{code}, /slow, /big, /gzip-bomb,
    /redirect, /xml, /text, /xml-bomb, /flaky, /retry-after, /idem, /hostile,
    /scripted/{key} (what the test put in `Upstream.scripted`)."""

    async def echo(request: web.Request) -> web.Response:
        seen = await _record(upstream, request)
        return web.json_response(seen)

    async def status(request: web.Request) -> web.Response:
        await _record(upstream, request)
        code = int(request.match_info["code"])
        return web.json_response(
            {"error": {"code": code, "message": "upstream says no"}}, status=code
        )

    async def slow(request: web.Request) -> web.Response:
        await _record(upstream, request)
        await asyncio.sleep(float(request.query.get("seconds", "3")))
        return web.json_response({"slow": True})

    async def big(request: web.Request) -> web.StreamResponse:
        await _record(upstream, request)
        size = int(request.query.get("bytes", str(11 * 1024 * 1024)))
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        chunk = b"x" * 65536
        sent = 0
        while sent < size:
            part = chunk[: size - sent]
            await response.write(part)
            sent += len(part)
        await response.write_eof()
        return response

    async def gzip_bomb(request: web.Request) -> web.Response:
        await _record(upstream, request)
        size = int(request.query.get("bytes", str(64 * 1024 * 1024)))
        payload = gzip.compress(b"0" * size, compresslevel=9)
        return web.Response(
            body=payload, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"}
        )

    async def gzipped(request: web.Request) -> web.Response:
        await _record(upstream, request)
        payload = gzip.compress(json.dumps({"zipped": True}).encode())
        return web.Response(
            body=payload, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    async def redirect(request: web.Request) -> web.Response:
        await _record(upstream, request)
        code = int(request.query.get("code", "302"))
        return web.Response(status=code, headers={"Location": request.query["to"]})

    async def xml(request: web.Request) -> web.Response:
        await _record(upstream, request)
        body = (
            '<?xml version="1.0"?><order status="paid"><id>7</id>'
            "<item>tea</item><item>cake</item><customer><name>Ana</name></customer></order>"
        )
        return web.Response(text=body, content_type="application/xml")

    async def xml_bomb(request: web.Request) -> web.Response:
        await _record(upstream, request)
        body = (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            "<lolz>&lol2;</lolz>"
        )
        return web.Response(text=body, content_type="application/xml")

    async def text(request: web.Request) -> web.Response:
        await _record(upstream, request)
        return web.Response(text="plain words")

    async def gzip_bomb_streamed(request: web.Request) -> web.StreamResponse:
        # Compresses block by block, so the server itself never holds the expanded payload.
        await _record(upstream, request)
        size = int(request.query.get("bytes", str(64 * 1024 * 1024)))
        response = web.StreamResponse(
            headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"}
        )
        await response.prepare(request)
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b"0" * (1024 * 1024)
        try:
            for start in range(0, size, len(block)):
                await response.write(compressor.compress(block[: size - start]))
            await response.write(compressor.flush())
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client refused the bomb and hung up, as it should
        return response

    async def deflated(request: web.Request) -> web.Response:
        await _record(upstream, request)
        raw = request.query.get("raw") == "1"
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15 if raw else 15)
        payload = compressor.compress(b'{"deflated": true}') + compressor.flush()
        return web.Response(
            body=payload,
            headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
        )

    async def encoded(request: web.Request) -> web.Response:
        await _record(upstream, request)
        return web.Response(
            body=b"\x00\x01", headers={"Content-Encoding": request.query.get("as", "br")}
        )

    async def hops(request: web.Request) -> web.Response:
        await _record(upstream, request)
        left = int(request.query.get("n", "0"))
        if left <= 0:
            return web.json_response({"arrived": True})
        return web.Response(status=302, headers={"Location": f"/hops?n={left - 1}"})

    async def drip(request: web.Request) -> web.StreamResponse:
        # Headers and a first part at once, the rest only after `seconds`.
        await _record(upstream, request)
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        await response.write(b"first part, ")
        await asyncio.sleep(float(request.query.get("seconds", "3")))
        await response.write(b"the rest")
        await response.write_eof()
        return response

    async def hostile(request: web.Request) -> web.Response:
        # Answers an upstream should never send: ?kind= deep-json, deep-xml, huge-number,
        # surrogate (a lone surrogate escape), nan.
        await _record(upstream, request)
        kind = request.query["kind"]
        depth = int(request.query.get("depth", "200000"))
        bodies = {
            "deep-json": ("application/json", "[" * depth + "]" * depth),
            "deep-xml": ("application/xml", "<a>" * depth + "</a>" * depth),
            "huge-number": ("application/json", '{"n": ' + "7" * 100_000 + "}"),
            "surrogate": ("application/json", '{"name": "\\ud800"}'),
            "nan": ("application/json", '{"n": NaN}'),
        }
        content_type, text = bodies[kind]
        return web.Response(text=text, content_type=content_type)

    async def scripted(request: web.Request) -> web.Response:
        await _record(upstream, request)
        status, content_type, body = upstream.scripted[request.match_info["key"]]
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})

    arrivals: dict[str, list[float]] = {}  # per `key` of /flaky and /retry-after

    def arrived(request: web.Request) -> list[float]:
        times = arrivals.setdefault(request.query.get("key", ""), [])
        times.append(time.monotonic())
        return times

    def recovered(request: web.Request, times: list[float]) -> web.Response:
        return web.json_response(
            {
                "attempt": len(times),
                "arrivals": times,
                "idempotency_key": request.headers.get("Idempotency-Key"),
            }
        )

    async def flaky(request: web.Request) -> web.Response:
        # The first `fail` requests of a `key` answer `code` (after `delay` s, with
        # `retry_after` as Retry-After when given); later ones answer 200 with the arrival
        # times (time.monotonic() of this process) of all requests of the key.
        await _record(upstream, request)
        times = arrived(request)
        if len(times) > int(request.query.get("fail", "1")):
            return recovered(request, times)
        await asyncio.sleep(float(request.query.get("delay", "0")))
        headers = {}
        if "retry_after" in request.query:
            headers["Retry-After"] = request.query["retry_after"]
        return web.json_response(
            {"error": "try again", "attempt": len(times)},
            status=int(request.query.get("code", "503")),
            headers=headers,
        )

    async def retry_after(request: web.Request) -> web.Response:
        # The first request of a `key` answers 503 asking to retry after `seconds`, as a
        # number or (with `date=1`) as an HTTP date; later ones answer like /flaky.
        await _record(upstream, request)
        times = arrived(request)
        if len(times) > 1:
            return recovered(request, times)
        seconds = request.query.get("seconds", "1")
        value = seconds
        if request.query.get("date") == "1":
            when = datetime.now(UTC) + timedelta(seconds=float(seconds))
            value = format_datetime(when, usegmt=True)
        return web.json_response(
            {"error": "busy"},
            status=int(request.query.get("code", "503")),
            headers={"Retry-After": value},
        )

    async def idem(request: web.Request) -> web.Response:
        await _record(upstream, request)
        return web.json_response({"idempotency_key": request.headers.get("Idempotency-Key")})

    app = web.Application()
    app.router.add_route("*", "/flaky", flaky)
    app.router.add_route("*", "/retry-after", retry_after)
    app.router.add_route("*", "/idem", idem)
    app.router.add_route("*", "/echo", echo)
    app.router.add_route("*", "/echo/{tail:.*}", echo)
    app.router.add_route("*", "/status/{code}", status)
    app.router.add_route("*", "/slow", slow)
    app.router.add_route("*", "/big", big)
    app.router.add_route("*", "/gzip-bomb", gzip_bomb)
    app.router.add_route("*", "/gzip", gzipped)
    app.router.add_route("*", "/redirect", redirect)
    app.router.add_route("*", "/xml", xml)
    app.router.add_route("*", "/xml-bomb", xml_bomb)
    app.router.add_route("*", "/text", text)
    app.router.add_route("*", "/gzip-bomb-streamed", gzip_bomb_streamed)
    app.router.add_route("*", "/deflate", deflated)
    app.router.add_route("*", "/encoded", encoded)
    app.router.add_route("*", "/hops", hops)
    app.router.add_route("*", "/drip", drip)
    app.router.add_route("*", "/hostile", hostile)
    app.router.add_route("*", "/scripted/{key}", scripted)
    app.router.add_route("*", "/scripted/{key}/{tail:.*}", scripted)
    return app


@contextmanager
def serve(app_factory: Any = build_app) -> Iterator[Upstream]:
    """Serve an app built by `app_factory(upstream)` on a free loopback port in a thread."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}
    upstream = Upstream(base_url="", port=0)

    async def start() -> None:
        runner = web.AppRunner(app_factory(upstream), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        upstream.port = port
        upstream.base_url = f"http://127.0.0.1:{port}"
        holder["runner"] = runner

    def main() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.call_soon(started.set)  # only once the loop runs, so a stop request is never lost
        loop.run_forever()
        loop.run_until_complete(holder["runner"].cleanup())
        loop.close()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the upstream test server did not start")
    try:
        yield upstream
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
