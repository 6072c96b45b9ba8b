"""Soak: a small cluster under mixed load for minutes, one server and one worker killed midway.

Three `hooksmith serve` processes behind a local nginx load balancer and two `hooksmith worker`
processes, all on one fresh PostgreSQL database, take paced load (by default 20 executions a
second, half of them of a sync webhook, half of an async one with a callback) against
bench/upstream.py, which counts deliveries per Idempotency-Key. A third of the way in one
server and one worker are SIGKILLed and started again. When the load ends the soak waits for
the accepted async runs (and their callbacks) to finish, then reports accepted, done and lost
runs, deliveries repeated beyond what the Idempotency-Key covers, sync latency, errors by kind
and each process's RSS after warm-up and at the end; a table on stdout, the figures as JSON in
bench/results/. Run by hand (docs/scaling.md), never in CI:

    .venv/bin/python bench/soak.py --minutes 10

Needs nginx (Debian's nginx-light; `make bench` installs it) and a PostgreSQL server reachable
at `--postgres` whose user may create databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from cryptography.fernet import Fernet

from harness import (
    BIN,
    HERE,
    UNLIMITED_COMPANY,
    first_run_token,
    free_port,
    nginx_command,
    post_json,
    wait_for_port,
)
from peers import commit
from soak_report import Figures, figures_of, print_report

RESULTS = HERE / "results"
SAMPLE_SECONDS = 10.0
WORKER_CONCURRENCY = 10


@dataclass
class Member:
    """One process of the cluster, which the soak may kill and start again."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None  # servers listen on a port; workers say so in their log
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0

    def start(self) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, env=self.env
            )
        if self.port is not None:
            wait_for_port(self.port, self.process, self.name)
        else:
            deadline = time.monotonic() + 60
            while b"Starting worker on" not in self.log.read_bytes()[offset:]:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not start (see {self.log})")
                time.sleep(0.05)
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.restarts += 1

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory of `pid` alone and with its descendants (renderer processes), in MB."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rpartition(")")[2].split()[1]
                )
            except OSError:
                continue
    tree, found = {pid}, True
    while found:
        found = False
        for child, parent in parents.items():
            if child not in tree and parent in tree:
                tree.add(child)
                found = True
    sizes: dict[int, float] = {}
    for member in tree:
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                sizes[member] = int(line.split()[1]) / 1024
    return sizes.get(pid, 0.0), sum(sizes.values())


@dataclass
class Tally:
    """What the load saw: sync latencies and answers, accepted async runs, errors."""

    kill_window: tuple[float, float] = (float("inf"), float("inf"))
    sync_ms: list[float] = field(default_factory=list)
    sync_answered: dict[str, float] = field(default_factory=dict)  # marker → when
    sync_sent: set[str] = field(default_factory=set)
    async_sent: set[str] = field(default_factory=set)
    accepted: dict[str, str] = field(default_factory=dict)  # run id → marker
    errors: Counter[str] = field(default_factory=Counter)
    errors_near_kill: Counter[str] = field(default_factory=Counter)
    error_times: list[tuple[float, str]] = field(default_factory=list)  # the first 1,000

    def error(self, kind: str) -> None:
        now = time.monotonic()
        start, end = self.kill_window
        (self.errors_near_kill if start <= now <= end else self.errors)[kind] += 1
        if len(self.error_times) < 1000:
            self.error_times.append((now, kind))


@dataclass(frozen=True)
class Targets:
    base: str  # the load balancer
    token: str
    sync_id: int
    async_id: int
    callback_url: str


async def execute(
    http: aiohttp.ClientSession, to: Targets, kind: str, marker: str, tally: Tally
) -> None:
    """One execute through the load balancer, its outcome added to `tally`."""
    hook = to.sync_id if kind == "sync" else to.async_id
    params = {"callback_url": to.callback_url} if kind == "async" else {}
    body = {"certainly": {"sessionId": marker}, "userName": "Ana"}
    started = time.perf_counter()
    try:
        async with http.post(
            f"{to.base}/api/v1/webhooks/{hook}/execute", json=body, params=params
        ) as reply:
            status, payload = reply.status, await reply.read()
    except (aiohttp.ClientError, TimeoutError) as error:
        tally.error(f"{kind}: {type(error).__name__}")
        return
    if kind == "sync" and status == 200:
        tally.sync_ms.append((time.perf_counter() - started) * 1000)
        tally.sync_answered[marker] = time.monotonic()
        result = json.loads(payload)
        if not result["ok"]:
            tally.error(f"sync: result {result['error']['kind']}")
    elif kind == "async" and status == 202:
        tally.accepted[json.loads(payload)["run_id"]] = marker
    else:
        tally.error(f"{kind}: HTTP {status}")


async def drive(to: Targets, tally: Tally, *, rate: float, seconds: float, cap: int) -> None:
    """Paced load for `seconds`: `rate` executes a second, sync and async in turn."""
    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=60)
    headers = {"Authorization": f"Bearer {to.token}"}
    connector = aiohttp.TCPConnector(limit=cap)
    async with aiohttp.ClientSession(timeout=timeout, headers=headers, connector=connector) as http:
        in_flight: set[asyncio.Task[None]] = set()
        end = loop.time() + seconds
        next_at = loop.time()
        number = 0
        while loop.time() < end:
            kind = "sync" if number % 2 == 0 else "async"
            marker = f"{kind}-{number}"
            number += 1
            if len(in_flight) >= cap:
                tally.error("client: all connections busy, execute not sent")
            else:
                (tally.sync_sent if kind == "sync" else tally.async_sent).add(marker)
                task = asyncio.create_task(execute(http, to, kind, marker, tally))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            next_at += 1 / rate
            await asyncio.sleep(max(0.0, next_at - loop.time()))
        await asyncio.gather(*in_flight)


async def sample(members: list[Member], samples: list[dict[str, Any]], t0: float) -> None:
    """Every SAMPLE_SECONDS, each running member's RSS (own and with its children)."""
    while True:
        row: dict[str, Any] = {"t": round(time.monotonic() - t0, 1)}
        for member in members:
            if member.process is not None and member.process.poll() is None:
                own, tree = rss_mb(member.pid)
                row[member.name] = {"pid": member.pid, "rss_mb": own, "tree_mb": tree}
        samples.append(row)
        await asyncio.sleep(SAMPLE_SECONDS)


async def kill_and_restart(
    victims: list[Member], tally: Tally, *, at: float, down: float, t0: float
) -> dict[str, float]:
    """SIGKILL `victims` `at` seconds in, start them again `down` seconds later."""
    await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
    killed = time.monotonic()
    tally.kill_window = (killed, float("inf"))
    for member in victims:
        member.kill()
    print(f"{killed - t0:6.0f} s  SIGKILL {', '.join(m.name for m in victims)}", flush=True)
    await asyncio.sleep(down)
    for member in victims:
        await asyncio.to_thread(member.start)
    # Errors until 15 s after the restart count as the kill's: nginx retries a dead server
    # only after its fail_timeout (10 s).
    tally.kill_window = (killed, time.monotonic() + 15)
    print(f"{time.monotonic() - t0:6.0f} s  restarted", flush=True)
    return {"killed_at_s": killed - t0, "restarted_at_s": time.monotonic() - t0}


async def drain(
    database: str, tally: Tally, *, seconds: float
) -> tuple[dict[str, asyncpg.Record], set[str], float]:
    """Wait until every accepted run is done and its callback settled (or `seconds` pass);
    returns the accepted runs' rows, the stored live runs' session ids and the time taken."""
    started = time.monotonic()
    connection = await asyncpg.connect(database)
    try:
        while True:
            rows = await connection.fetch(
                "SELECT id, status, ok, callback_status FROM runs WHERE id = ANY($1::text[])",
                list(tally.accepted),
            )
            runs = {row["id"]: row for row in rows}
            settled = sum(
                row["status"] == "done" and row["callback_status"] not in ("waiting", "pending")
                for row in rows
            )
            if settled == len(tally.accepted) or time.monotonic() - started > seconds:
                break
            await asyncio.sleep(2)
        live = await connection.fetch("SELECT session_id FROM runs WHERE kind = 'live'")
    finally:
        await connection.close()
    stored = {row["session_id"] for row in live if row["session_id"]}
    return runs, stored, time.monotonic() - started


async def upstream_counts(port: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/_deliveries") as reply:
            counts: dict[str, Any] = await reply.json()
            return counts


def webhook(upstream: int, kind: str, delay_ms: int) -> dict[str, object]:
    return {
        "name": f"Soak {kind}",
        "company": "demo-shop",
        "method": "POST",
        "url": f"http://127.0.0.1:{upstream}/{kind}?ms={delay_ms}",
        "execution": kind,
        "headers": [{"key": "X-Soak-Marker", "value": "{{ certainly.sessionId }}"}],
        "body": '{"who": "{{ userName }}", "session": "{{ certainly.sessionId }}"}',
        "timeout": 10,
        "custom_variables": [{"name": "ticket", "mapper": "response.ticket.id"}],
    }


async def fresh_database(admin_url: str) -> tuple[str, str]:
    """A new empty database on the server of `admin_url`: (its name, its asyncpg URL)."""
    name = f"hooksmith_soak_{datetime.now(UTC):%Y%m%d%H%M%S}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name, admin_url.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def cluster(workdir: Path, database: str, upstream: int) -> tuple[list[Member], list[Member]]:
    """Three servers and two workers (not started) sharing one database and secrets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKSMITH_")}
    env.update(UNLIMITED_COMPANY)
    env.update(
        HOOKSMITH_DATABASE_URL=database.replace("postgresql://", "postgresql+asyncpg://", 1),
        HOOKSMITH_VAR_DIR=str(workdir / "var"),
        HOOKSMITH_SECRET_KEY=Fernet.generate_key().decode(),
        HOOKSMITH_CALLBACK_SECRET="soak-callback-secret",
        HOOKSMITH_EGRESS_ALLOW=f"127.0.0.1:{upstream}",
        # HTTP-only servers, as docs/scaling.md advises beside workers: with the workers'
        # concurrency below, the cluster stays within PostgreSQL's default 100 connections.
        HOOKSMITH_SERVER_WORKER_CONCURRENCY="0",
    )
    servers = []
    for number in (1, 2, 3):
        port = free_port()
        command = [str(BIN / "hooksmith"), "serve", "--port", str(port)]
        servers.append(
            Member(f"server{number}", command, env, workdir / f"server{number}.log", port)
        )
    worker = [str(BIN / "hooksmith"), "worker", "--concurrency", str(WORKER_CONCURRENCY)]
    workers = [
        Member(name, [*worker, "--name", name], env, workdir / f"{name}.log")
        for name in ("worker1", "worker2")
    ]
    return servers, workers


async def soak(options: argparse.Namespace, workdir: Path) -> Figures:
    name, database = await fresh_database(options.postgres)
    upstream_port, balancer_port = free_port(), free_port()
    servers, workers = cluster(workdir, database, upstream_port)
    command = [sys.executable, str(HERE / "upstream.py"), str(upstream_port), "--record"]
    upstream = Member(
        "upstream", command, dict(os.environ), workdir / "upstream.log", upstream_port
    )
    lines = "\n".join(f"        server 127.0.0.1:{s.port};" for s in servers)
    balancer_command = nginx_command(
        workdir, balancer_port, template="balancer.conf.template", servers=lines
    )
    balancer = Member(
        "nginx", balancer_command, dict(os.environ), workdir / "nginx.log", balancer_port
    )
    members = [*servers, *workers]
    try:
        for member in [upstream, *servers, *workers, balancer]:
            await asyncio.to_thread(member.start)  # one at a time: the first server migrates
        token = first_run_token(servers[0].log)
        base = f"http://127.0.0.1:{balancer_port}"
        sync_hook = post_json(
            f"{base}/api/v1/webhooks", webhook(upstream_port, "sync", options.upstream_ms), token
        )
        async_hook = post_json(
            f"{base}/api/v1/webhooks", webhook(upstream_port, "async", options.upstream_ms), token
        )
        to = Targets(
            base,
            token,
            sync_hook["id"],
            async_hook["id"],
            f"http://127.0.0.1:{upstream_port}/callback",
        )
        seconds = options.minutes * 60
        tally, samples = Tally(), []
        t0 = time.monotonic()
        print(
            f"{commit()}: {seconds:g} s of load at {options.rate:g}/s on database {name}; "
            f"logs in {workdir}",
            flush=True,
        )
        sampler = asyncio.create_task(sample(members, samples, t0))
        killer = asyncio.create_task(
            kill_and_restart(
                [servers[1], workers[0]], tally, at=seconds / 3, down=options.down, t0=t0
            )
        )
        await drive(to, tally, rate=options.rate, seconds=seconds, cap=options.connections)
        kill = await killer
        print(f"{time.monotonic() - t0:6.0f} s  load ended; waiting for async runs", flush=True)
        runs, stored, drained = await drain(database, tally, seconds=options.drain)
        counts = await upstream_counts(upstream_port)
        rss_end = {m.name: rss_mb(m.pid) for m in members}
        sampler.cancel()
        return figures_of(
            options=vars(options),
            commit=commit(),
            tally=tally,
            runs=runs,
            stored=stored,
            counts=counts,
            samples=samples,
            rss_end=rss_end,
            kill=kill,
            warmup=options.warmup,
            t0=t0,
            drained_s=drained,
            restarted={m.name: m.started_at - t0 for m in members if m.restarts},
        )
    finally:
        for member in [balancer, *servers, *workers, upstream]:
            member.stop()
        if not options.keep_database:
            await drop_database(options.postgres, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load runs")
    parser.add_argument("--rate", type=float, default=20.0, help="executes a second, all told")
    parser.add_argument("--connections", type=int, default=200, help="the client's most at once")
    parser.add_argument("--upstream-ms", type=int, default=20, help="the upstream's answer time")
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="seconds before RSS at start (default: a fifth of the run, at most 60)",
    )
    parser.add_argument("--down", type=float, default=5.0, help="seconds the killed stay down")
    parser.add_argument(
        "--drain", type=float, default=600.0, help="most seconds to wait for async runs"
    )
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="an admin URL of the PostgreSQL server",
    )
    parser.add_argument(
        "--keep-database", action="store_true", help="do not drop the soak's database"
    )
    options = parser.parse_args()
    if options.warmup is None:
        options.warmup = min(60.0, options.minutes * 60 / 5)
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        sys.exit("nginx is not installed: apt-get install nginx-light (make bench does)")
    workdir = Path(tempfile.mkdtemp(prefix="hooksmith-soak-"))
    figures = asyncio.run(soak(options, workdir))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"soak-{datetime.now(UTC):%Y%m%dT%H%MZ}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print_report(figures)
    print(f"\nwritten to {out.relative_to(HERE.parent)}; the processes' logs are in {workdir}")
    if figures["async"]["lost"] or figures["deliveries"]["beyond_idempotency_key"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
