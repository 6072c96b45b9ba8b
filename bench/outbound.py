"""Benchmark: fair outbound capacity of one `hooksmith serve` process.

Two upstream processes on 127.0.0.1: a slow one answering after 3 s and a fast one answering at
once. Company `demo-shop` has a webhook on the slow one, company `other-shop` one on the fast
one. The bench measures the fast webhook's execute latency alone (idle), then sends 1,000
concurrent executes of the slow webhook and keeps calling the fast one, one call at a time,
until the 1,000 are answered. It prints how many of the 1,000 succeeded, the server's RSS, and
the fast webhook's p50/p99 idle and in each part of the burst: while the 1,000 arrive (the
server's CPU is busy taking them in), while they all wait on the slow upstream, and while
their answers come back.

    .venv/bin/python bench/outbound.py        # BENCH_SLOW=1000 BENCH_DELAY=3 by default

The company limits (rate, concurrency) and the outbound per-origin and per-company limits are
raised for the run so that 1,000 executes of one webhook may run at once; everything else is
the server's default. Runs `python -m hooksmith serve`, so PYTHONPATH picks the code measured.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

HERE = Path(__file__).resolve().parent
SLOW = int(os.environ.get("BENCH_SLOW", "1000"))
DELAY = float(os.environ.get("BENCH_DELAY", "3"))
# The slow webhook's time-out: the upstream's 3 s plus room for the one process (on 2 shared
# cores) to take in 1,000 executes and to process their 1,000 answers, which is CPU, not
# waiting for a connection. BENCH_TIMEOUT=5 (the default time-out) on a quiet machine.
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "10"))
IDLE_CALLS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The upstream, run as its own process: `outbound.py --upstream PORT DELAY`. -----------------


def serve_upstream(port: int, delay: float) -> None:
    in_flight = 0

    async def answer(request: web.Request) -> web.Response:
        nonlocal in_flight
        await request.read()
        in_flight += 1
        try:
            if delay:
                await asyncio.sleep(delay)
        finally:
            in_flight -= 1
        response = web.json_response({"ticket": {"id": 4711, "status": "open"}})
        if not delay:
            # The fast upstream closes every connection, so each call needs a new one: what a
            # webhook called now and then gets anyway (an idle connection is kept 15 s).
            response.force_close()
        return response

    async def count(_request: web.Request) -> web.Response:
        return web.json_response({"in_flight": in_flight})

    app = web.Application()
    app.router.add_get("/in-flight", count)
    app.router.add_route("*", "/{tail:.*}", answer)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=4096)


# The bench. ---------------------------------------------------------------------------------


@dataclass
class Probe:
    """The fast webhook's calls during the burst: (when it started, latency in seconds)."""

    calls: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Memory:
    """The server's RSS and open files, sampled during the burst."""

    pid: int
    rss_peak: int = 0
    files_peak: int = 0

    def sample(self) -> None:
        status = Path(f"/proc/{self.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            self.rss_peak = max(self.rss_peak, int(match.group(1)) * 1024)
        self.files_peak = max(self.files_peak, len(os.listdir(f"/proc/{self.pid}/fd")))


def rss(pid: int) -> int:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) * 1024 if match else 0


def percentiles(latencies: list[float]) -> str:
    if not latencies:
        return "no calls"
    ordered = sorted(latencies)
    p99 = ordered[math.ceil(len(ordered) * 0.99) - 1]  # nearest rank
    return (
        f"p50 {statistics.median(ordered) * 1000:7.2f} ms  p99 {p99 * 1000:7.2f} ms  "
        f"({len(ordered)} calls)"
    )


async def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"{what} did not start listening on port {port}")


async def first_run_token(log: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"API token (\S+)", log.read_text(encoding="utf-8", errors="replace"))
        if match:
            return match.group(1)
        await asyncio.sleep(0.05)
    raise RuntimeError(f"hooksmith serve printed no first-run token (see {log})")


class Client:
    """The bench's client of the server's API, with the first-run admin token."""

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str) -> None:
        self.http = http
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}

    async def post(self, path: str, payload: object) -> dict[str, Any]:
        async with self.http.post(self.base + path, json=payload, headers=self.headers) as reply:
            body: dict[str, Any] = await reply.json(content_type=None)
            if reply.status >= 300:
                raise RuntimeError(f"POST {path}: {reply.status} {body}")
            return body

    async def webhook(self, company: str, upstream: int, timeout: float = 5) -> str:
        created = await self.post(
            "/webhooks",
            {
                "name": f"Tickets of {company}",
                "company": company,
                "timeout": timeout,
                "method": "POST",
                "url": f"http://127.0.0.1:{upstream}/tickets",
                "body": '{"session": "{{ certainly.sessionId }}"}',
                "custom_variables": [{"name": "ticket_id", "mapper": "response.ticket.id"}],
            },
        )
        return f"/webhooks/{created['id']}/execute"

    async def execute(self, path: str) -> tuple[bool, str | None]:
        answer = await self.post(path, {"certainly": {"sessionId": "bench"}})
        error = answer.get("error") or {}
        if error and os.environ.get("BENCH_DEBUG"):
            print(error.get("message"))
        return bool(answer.get("ok")), error.get("kind")

    async def timed(self, path: str) -> float:
        started = time.perf_counter()
        ok, kind = await self.execute(path)
        if not ok:
            raise RuntimeError(f"the fast webhook failed ({kind})")
        return time.perf_counter() - started


async def in_flight(http: aiohttp.ClientSession, port: int) -> int:
    async with http.get(f"http://127.0.0.1:{port}/in-flight") as reply:
        count: int = (await reply.json())["in_flight"]
        return count


async def send_burst(base: str, token: str, path: str) -> None:
    """The burst, run as its own process so its client work does not slow the probe: SLOW
    concurrent executes, then one JSON line with how they ended (`ok` or the error kind)."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        client = Client(http, base, token)
        print("sending", flush=True)
        ended = await asyncio.gather(
            *(client.execute(path) for _ in range(SLOW)), return_exceptions=True
        )
    outcomes: Counter[str] = Counter()
    for outcome in ended:
        if isinstance(outcome, BaseException):
            outcomes[f"client error ({type(outcome).__name__})"] += 1
        else:
            ok, kind = outcome
            outcomes["ok" if ok else str(kind)] += 1
    print(json.dumps(outcomes), flush=True)


async def burst(
    client: Client, token: str, slow: str, fast: str, slow_port: int, memory: Memory
) -> None:
    """Start the burst process, call the fast webhook one call at a time until it ends."""
    probe = Probe()
    marks: dict[str, float] = {}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, __file__, "--burst", client.base, token, slow),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    await process.stdout.readline()  # "sending"
    started = time.monotonic()
    finished = asyncio.create_task(process.stdout.readline())

    async def watch() -> None:
        # When all have reached the upstream, and when its answers start coming back.
        while not finished.done():
            memory.sample()
            count = await in_flight(client.http, slow_port)
            if "all_waiting" not in marks and count >= SLOW:
                marks["all_waiting"] = time.monotonic()
            if "all_waiting" in marks and "answering" not in marks and count < SLOW:
                marks["answering"] = time.monotonic()
            await asyncio.sleep(0.02)

    async def call_fast() -> None:
        while not finished.done():
            began = time.monotonic()
            probe.calls.append((began, await client.timed(fast)))

    await asyncio.gather(watch(), call_fast())
    ended = time.monotonic()
    await process.wait()
    outcomes: dict[str, int] = json.loads(await finished)
    waiting = marks.get("all_waiting", ended)
    answering = marks.get("answering", ended)
    errors = ", ".join(f"{n} {kind}" for kind, n in outcomes.items() if kind != "ok")
    print(
        f"slow webhook: {outcomes.get('ok', 0)} of {SLOW} succeeded in {ended - started:.2f} s "
        f"({errors or 'no errors'}); "
        + (
            f"all {SLOW} at the upstream at once after {waiting - started:.2f} s"
            if "all_waiting" in marks
            else f"never all {SLOW} at the upstream at once"
        )
    )
    parts = {
        f"while the {SLOW} arrive": (started, waiting),
        f"while the {SLOW} wait on the upstream": (waiting, answering),
        "while their answers come back": (answering, ended),
    }
    for label, (since, until) in parts.items():
        latencies = [latency for began, latency in probe.calls if since <= began < until]
        print(f"fast webhook {label:<38} {percentiles(latencies)}")


async def run(workdir: Path) -> None:
    slow_port, fast_port, server_port = free_port(), free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOOKSMITH_")},
        "HOOKSMITH_VAR_DIR": str(workdir / "var"),
        "HOOKSMITH_EGRESS_ALLOW": f"127.0.0.1:{slow_port},127.0.0.1:{fast_port}",
        "HOOKSMITH_COMPANY_RATE_PER_SECOND": "1000000",
        "HOOKSMITH_COMPANY_RATE_BURST": "1000000",
        "HOOKSMITH_COMPANY_CONCURRENCY": str(SLOW + 100),
        "HOOKSMITH_OUTBOUND_PER_ORIGIN": str(SLOW),
        "HOOKSMITH_OUTBOUND_PER_COMPANY": str(SLOW),
    }
    upstreams = [
        subprocess.Popen([sys.executable, __file__, "--upstream", str(port), str(delay)])
        for port, delay in ((slow_port, DELAY), (fast_port, 0.0))
    ]
    log = workdir / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "hooksmith", "serve", "--port", str(server_port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        for port, process, what in (
            (slow_port, upstreams[0], "slow upstream"),
            (fast_port, upstreams[1], "fast upstream"),
            (server_port, server, "hooksmith serve"),
        ):
            await wait_for_port(port, process, what)
        token = await first_run_token(log)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "hooksmith",
                "admin",
                "create-company",
                "other-shop",
                "Other Shop",
                "--agency",
                "demo",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            client = Client(http, f"http://127.0.0.1:{server_port}/api/v1", token)
            slow = await client.webhook("demo-shop", slow_port, timeout=TIMEOUT)
            fast = await client.webhook("other-shop", fast_port)
            for _ in range(50):  # warm up the caches and the pool
                await client.timed(fast)
            idle = [await client.timed(fast) for _ in range(IDLE_CALLS)]
            memory = Memory(server.pid)
            idle_rss = rss(server.pid)
            load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
            print(
                f"{SLOW} concurrent executes of a webhook whose upstream answers after "
                f"{DELAY:g} s (time-out {TIMEOUT:g} s), beside a second company's webhook on a "
                f"fast upstream; one server process, {os.cpu_count()} CPUs shared with the "
                f"client and upstreams (load average {load})"
            )
            print(f"fast webhook {'idle':<38} {percentiles(idle)}")
            await burst(client, token, slow, fast, slow_port, memory)
            print(
                f"server RSS: {idle_rss / 2**20:.0f} MB idle, {memory.rss_peak / 2**20:.0f} MB "
                f"at the peak (target < 300 MB); open files at the peak: {memory.files_peak}"
            )
    finally:
        server.terminate()
        for process in (server, *upstreams):
            if process is not server:
                process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--upstream":
        serve_upstream(int(sys.argv[2]), float(sys.argv[3]))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "--burst":
        asyncio.run(send_burst(*sys.argv[2:]))
        return
    with tempfile.TemporaryDirectory(prefix="hooksmith-outbound-") as temp:
        asyncio.run(run(Path(temp)))


if __name__ == "__main__":
    main()
