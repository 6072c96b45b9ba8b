"""Benchmark: `POST /execute` of a running hooksmith server beside a pass-through app.

Starts a local nginx answering a fixed JSON body (the upstream), `hooksmith serve` on a fresh
var dir, and `bench/passthrough.py` (a raw ASGI app under uvicorn sending the same one request
on the same HTTP client). Both are driven by `wrk` at 1 and 64 connections in the same run;
the figures that matter are hooksmith / pass-through req/s and the p50 at one connection.

The ~10 s per server and load are measured as alternating slices (pass-through, hooksmith,
pass-through, …) so that a neighbour's burst of CPU on a shared machine hits both alike;
req/s sums the slices, p50/p99 are the median of the slices' figures. "CPU µs/req" is the
server process's own CPU time per answered request, which other load on the machine barely
changes: it says where the time goes when the wall-clock figures are noisy.
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
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from engine import CONVERSATION, bench_webhook
from hooksmith.engine import EgressPolicy, Engine, parse_webhook
from hooksmith.engine.request import prepare

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))  # per server and load
SLICES = int(os.environ.get("BENCH_SLICES", "5"))
WARMUP = "2s"
LOADS = {1: 1, 64: 2}  # connections: wrk threads
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
TICK = os.sysconf("SC_CLK_TCK")


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
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
    """User plus system CPU time of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def nginx_command(workdir: Path, port: int) -> list[str]:
    prefix = workdir / "nginx"
    prefix.mkdir()
    template = Template((HERE / "nginx.conf.template").read_text(encoding="utf-8"))
    config = prefix / "nginx.conf"
    config.write_text(template.substitute(prefix=prefix, port=port), encoding="utf-8")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(config)]


def first_run_token(log: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"API token (\S+)", log.read_text(encoding="utf-8", errors="replace"))
        if match:
            return match.group(1)
        time.sleep(0.05)
    raise RuntimeError(f"hooksmith serve printed no first-run token (see {log})")


def api(url: str, token: str, payload: object) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            answer: dict[str, Any] = json.loads(reply.read())
            return answer
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"POST {url}: {error.code} {error.read().decode()}") from None


def wrk(url: str, token: str, body: Path, connections: int, duration: str) -> str:
    command = [
        *("wrk", "--latency", f"-t{LOADS[connections]}", f"-c{connections}", f"-d{duration}"),
        *("-s", str(HERE / "post.lua"), url, "--", token, str(body)),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def measure(url: str, token: str, body: Path, connections: int, pid: int) -> Slice:
    seconds = max(1, round(SECONDS / SLICES))  # wrk takes whole seconds
    cpu = cpu_seconds(pid)
    output = wrk(url, token, body, connections, f"{seconds}s")
    cpu = cpu_seconds(pid) - cpu
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


def rendered_request(upstream: int) -> dict[str, object]:
    """The request hooksmith sends for the bench webhook, rendered once for the pass-through."""
    engine = Engine(policy=EgressPolicy.from_setting(f"127.0.0.1:{upstream}"))
    webhook = parse_webhook(bench_webhook(upstream))
    prepared = prepare(engine.sandbox, webhook, CONVERSATION, deadline=time.monotonic() + 60)
    return {
        "method": prepared.method,
        "url": prepared.url,
        "headers": [list(pair) for pair in prepared.headers],
        "body": prepared.body or "",
    }


def compare(targets: dict[str, tuple[str, str, int]], body: Path) -> None:
    print(
        f"{'connections':>11} {'server':>12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU µs/req':>11}"
    )
    for connections in LOADS:
        slices: dict[str, list[Slice]] = {label: [] for label in targets}
        for url, token, _ in targets.values():
            wrk(url, token, body, connections, WARMUP)
        for _ in range(SLICES):
            for label, (url, token, pid) in targets.items():
                slices[label].append(measure(url, token, body, connections, pid))
        figures = {label: Figures.of(taken) for label, taken in slices.items()}
        for label, f in figures.items():
            note = f"  ({f.errors} errors)" if f.errors else ""
            print(
                f"{connections:>11} {label:>12} {f.rps:>9.0f} {f.p50_ms:>8.2f} {f.p99_ms:>8.2f} "
                f"{f.cpu_us:>11.0f}{note}"
            )
        ratio = figures["hooksmith"].rps / figures["pass-through"].rps
        print(f"{connections:>11} {'ratio':>12} {ratio:>9.2f}  (hooksmith / pass-through req/s)")
    print(
        "target: ratio ≥ 0.80 at 64 connections, hooksmith p50 ≤ 0.50 ms at 1 "
        f"({os.cpu_count()} CPUs shared by wrk, nginx and both servers)",
        flush=True,
    )


def main() -> None:
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is not installed: apt-get install wrk nginx-light (make bench does)")
    upstream, server, passthrough = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="hooksmith-bench-") as temp:
        workdir = Path(temp)
        body = workdir / "conversation.json"
        body.write_text(json.dumps(CONVERSATION), encoding="utf-8")
        request = workdir / "request.json"
        request.write_text(json.dumps(rendered_request(upstream)), encoding="utf-8")
        env = {
            **os.environ,
            "HOOKSMITH_VAR_DIR": str(workdir / "var"),
            "HOOKSMITH_EGRESS_ALLOW": f"127.0.0.1:{upstream}",
            # The per-company rate limit protects upstreams; the bench measures speed.
            "HOOKSMITH_COMPANY_RATE_PER_SECOND": "1000000",
            "HOOKSMITH_COMPANY_RATE_BURST": "1000000",
            "HOOKSMITH_COMPANY_CONCURRENCY": "1000",
        }
        env.pop("HOOKSMITH_DATABASE_URL", None)
        serve = [str(BIN / "hooksmith"), "serve", "--port", str(server)]
        bare = [sys.executable, str(HERE / "passthrough.py"), str(passthrough), str(request)]
        serve_log = workdir / "serve.log"
        nginx = nginx_command(workdir, upstream)
        with (
            running(nginx, log=workdir / "nginx.log", port=upstream, what="nginx"),
            running(serve, log=serve_log, port=server, what="hooksmith serve", env=env) as pid,
            running(
                bare, log=workdir / "bare.log", port=passthrough, what="pass-through"
            ) as bare_pid,
        ):
            token = first_run_token(serve_log)
            base = f"http://127.0.0.1:{server}/api/v1"
            webhook = {**bench_webhook(upstream), "company": "demo-shop"}
            created = api(f"{base}/webhooks", token, webhook)
            execute = f"{base}/webhooks/{created['id']}/execute"
            check = api(execute, token, CONVERSATION)
            if check.get("ok") is not True:
                raise RuntimeError(f"the bench webhook failed: {check}")
            targets = {
                "pass-through": (f"http://127.0.0.1:{passthrough}/", "", bare_pid),
                "hooksmith": (execute, token, pid),
            }
            compare(targets, body)


if __name__ == "__main__":
    main()
