"""What the service benchmarks share: servers as subprocesses, `wrk` slices, CPU from /proc.

A server under test is a `Target`: the URL `wrk` posts the conversation to, the bearer token
it sends (empty for none) and the process whose CPU time (with its descendants') is read
from `/proc/PID/stat` (utime + stime) before and after each slice. `compare` drives all
targets in alternating slices (A, B, C, A, B, C, …) so that a neighbour's burst of CPU on a
shared machine hits each alike; req/s sums the slices, p50/p99 are the median of the slices'
figures.
Needs `nginx` (Debian's nginx-light) and `wrk` on the PATH; `make bench` installs them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))  # per server and load
SLICES = int(os.environ.get("BENCH_SLICES", "5"))
WARMUP = "2s"
LOADS = {64: 2, 1: 1}  # connections: wrk threads
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
TICK = os.sysconf("SC_CLK_TCK")
# The per-company limits protect upstreams and neighbours; the bench measures speed.
UNLIMITED_COMPANY = {
    "HOOKSMITH_COMPANY_RATE_PER_SECOND": "1000000",
    "HOOKSMITH_COMPANY_RATE_BURST": "1000000",
    "HOOKSMITH_COMPANY_CONCURRENCY": "1000",
}


@dataclass(frozen=True)
class Target:
    url: str
    token: str
    pid: int


@dataclass(frozen=True)
class Slice:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_seconds: float


@dataclass(frozen=True)
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float

    @classmethod
    def of(cls, slices: list[Slice]) -> Figures:
        requests = sum(s.requests for s in slices)
        return cls(
            rps=requests / sum(s.seconds for s in slices),
            p50_ms=statistics.median(s.p50_ms for s in slices),
            p99_ms=statistics.median(s.p99_ms for s in slices),
            errors=sum(s.errors for s in slices),
            cpu_us=sum(s.cpu_seconds for s in slices) / max(requests, 1) * 1e6,
        )


def require_tools() -> None:
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is not installed: apt-get install wrk nginx-light (make bench does)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start listening on port {port}")


@contextmanager
def running(
    command: list[str], *, log: Path, port: int, what: str, env: dict[str, str] | None = None
) -> Iterator[int]:
    """Run `command` (output to `log`) until the block ends; yields its process id."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_port(port, process, what)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process `pid` and all its descendants so far.

    Each process's own time plus that of its children already reaped; children still running
    are counted on their own, so a server that hands work to helper processes pays for it.
    """
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:  # the process ended meanwhile
                continue
    tree, found = {pid}, True
    while found:
        found = False
        for child, fields in stats.items():
            if child not in tree and int(fields[1]) in tree:
                tree.add(child)
                found = True
    ticks = sum(int(n) for member in tree for n in stats[member][11:15])
    return ticks / TICK


def nginx_command(
    workdir: Path, port: int, *, template: str = "nginx.conf.template", **fields: str
) -> list[str]:
    """One nginx process on `port`: by default answering every request with the bench
    upstream's JSON; `template` (a file in bench/) and its `fields` make it something else."""
    prefix = workdir / template.partition(".")[0]
    prefix.mkdir()
    text = Template((HERE / template).read_text(encoding="utf-8"))
    config = prefix / "nginx.conf"
    config.write_text(text.substitute(prefix=prefix, port=port, **fields), encoding="utf-8")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(config)]


def post_json(url: str, payload: object, token: str = "") -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            answer: dict[str, Any] = json.loads(reply.read())
            return answer
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"POST {url}: {error.code} {error.read().decode()}") from None


def first_run_token(log: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"API token (\S+)", log.read_text(encoding="utf-8", errors="replace"))
        if match:
            return match.group(1)
        time.sleep(0.05)
    raise RuntimeError(f"hooksmith serve printed no first-run token (see {log})")


@contextmanager
def hooksmith_execute(workdir: Path, upstream: int, webhook: dict[str, object]) -> Iterator[Target]:
    """`hooksmith serve` on a fresh var dir with `webhook` saved; yields its execute target."""
    port = free_port()
    env = {
        **os.environ,
        **UNLIMITED_COMPANY,
        "HOOKSMITH_VAR_DIR": str(workdir / "var"),
        "HOOKSMITH_EGRESS_ALLOW": f"127.0.0.1:{upstream}",
    }
    env.pop("HOOKSMITH_DATABASE_URL", None)
    log = workdir / "serve.log"
    serve = [str(BIN / "hooksmith"), "serve", "--port", str(port)]
    with running(serve, log=log, port=port, what="hooksmith serve", env=env) as pid:
        token = first_run_token(log)
        base = f"http://127.0.0.1:{port}/api/v1"
        created = post_json(f"{base}/webhooks", {**webhook, "company": "demo-shop"}, token)
        yield Target(f"{base}/webhooks/{created['id']}/execute", token, pid)


def wrk(target: Target, body: Path, connections: int, duration: str) -> str:
    command = [
        *("wrk", "--latency", f"-t{LOADS[connections]}", f"-c{connections}", f"-d{duration}"),
        *("-s", str(HERE / "post.lua"), target.url, "--", target.token, str(body)),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def measure(target: Target, body: Path, connections: int) -> Slice:
    seconds = max(1, round(SECONDS / SLICES))  # wrk takes whole seconds
    cpu = cpu_seconds(target.pid)
    output = wrk(target, body, connections, f"{seconds}s")
    cpu = cpu_seconds(target.pid) - cpu
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    if done is None or p50 is None or p99 is None:
        raise RuntimeError(f"could not read the wrk output:\n{output}")
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    broken = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(failed.group(1)) if failed else 0
    errors += sum(int(n) for n in broken.groups()) if broken else 0
    elapsed = float(done.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[done.group(3)]
    return Slice(
        requests=int(done.group(1)),
        seconds=elapsed,
        p50_ms=float(p50.group(1)) * UNITS[p50.group(2)],
        p99_ms=float(p99.group(1)) * UNITS[p99.group(2)],
        errors=errors,
        cpu_seconds=cpu,
    )


def compare(targets: dict[str, Target], body: Path) -> dict[int, dict[str, Figures]]:
    """Figures of every target at every load in `LOADS`, measured in alternating slices."""
    results: dict[int, dict[str, Figures]] = {}
    for connections in LOADS:
        slices: dict[str, list[Slice]] = {label: [] for label in targets}
        for target in targets.values():
            wrk(target, body, connections, WARMUP)
        for _ in range(SLICES):
            for label, target in targets.items():
                slices[label].append(measure(target, body, connections))
        results[connections] = {label: Figures.of(taken) for label, taken in slices.items()}
    return results
