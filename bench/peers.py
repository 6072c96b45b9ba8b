"""Benchmark: hooksmith's execute beside its peers, in one run, against one nginx upstream.

Four servers answer the same `wrk` load (a POST of examples/conversation.json, at 64 and at 1
connection) on this machine:
- nginx direct: the upstream itself, the ceiling of any service in front of it;
- Node-RED 4 (installed from npm into bench/.cache/node-red on first use) running
  bench/nodered/flows.json: http in → function (body of the seed template's fields, URL with
  2 query params) → http request (POST, bearer + 3 headers, keep-alive) → change (JSONata
  mapping of 3 values) → http response;
- pass-through: bench/passthrough.py, a minimal Starlette app doing the same by hand on one
  pooled aiohttp session, under uvicorn with uvloop and httptools;
- hooksmith: `POST /api/v1/webhooks/{id}/execute` of `hooksmith serve` for bench/engine.py's
  bench webhook, with the per-company limits raised for the run.
Before measuring, each peer is sent the conversation once against a recording upstream: all
must send the same request (method, path and query, bearer and the 3 headers, the body's
fields) and answer the same 3 values, or the run stops. Timing and CPU: see bench/harness.py.
`BENCH_SECONDS=3 BENCH_SLICES=1` makes a quick run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from engine import CONVERSATION, bench_webhook
from harness import (
    HERE,
    LOADS,
    SECONDS,
    SLICES,
    Figures,
    Target,
    compare,
    free_port,
    hooksmith_execute,
    nginx_command,
    post_json,
    require_tools,
    running,
)

NODE_RED_HOME = HERE / ".cache" / "node-red"
NODE_RED = NODE_RED_HOME / "node_modules" / "node-red"
UPSTREAM_REPLY = b'{"ticket": {"id": 4711, "status": "open"}, "agent": {"name": "Sam"}}'
COMPARED_HEADERS = ("authorization", "x-bot", "x-session", "accept", "content-type")


def install_node_red() -> str:
    """Node-RED 4 from npm into the bench cache (once); returns its version."""
    if not (NODE_RED / "red.js").exists():
        if shutil.which("npm") is None:
            sys.exit("npm is not installed: Node-RED comes from the npm registry")
        print("installing node-red@4 into bench/.cache/node-red …", flush=True)
        command = ["npm", "install", "--prefix", str(NODE_RED_HOME), "--no-audit", "--no-fund"]
        subprocess.run([*command, "--loglevel=error", "node-red@4"], check=True)
    package = json.loads((NODE_RED / "package.json").read_text(encoding="utf-8"))
    return str(package["version"])


@contextmanager
def node_red(workdir: Path, upstream: int) -> Iterator[Target]:
    """Node-RED running the bench flow from a copy in its own user dir."""
    port = free_port()
    user_dir = workdir / "node-red"
    user_dir.mkdir()
    for name in ("flows.json", "flows_cred.json"):
        shutil.copy(HERE / "nodered" / name, user_dir / name)
    env = {
        **os.environ,
        "BENCH_NODE_RED_PORT": str(port),
        "BENCH_UPSTREAM_URL": f"http://127.0.0.1:{upstream}/tickets",
    }
    command = [
        *("node", str(NODE_RED / "red.js"), "--userDir", str(user_dir)),
        *("--settings", str(HERE / "nodered" / "settings.js"), str(user_dir / "flows.json")),
    ]
    log = workdir / "node-red.log"
    with running(command, log=log, port=port, what="Node-RED", env=env) as pid:
        yield Target(f"http://127.0.0.1:{port}/execute", "", pid)


@contextmanager
def pass_through(workdir: Path, upstream: int) -> Iterator[Target]:
    port = free_port()
    command = [sys.executable, str(HERE / "passthrough.py"), str(port), str(upstream)]
    log = workdir / "pass-through.log"
    with running(command, log=log, port=port, what="pass-through") as pid:
        yield Target(f"http://127.0.0.1:{port}/", "", pid)


@contextmanager
def peers(workdir: Path, upstream: int) -> Iterator[dict[str, Target]]:
    """Node-RED, the pass-through and hooksmith, each sending to `upstream`."""
    workdir.mkdir()
    with (
        node_red(workdir, upstream) as flow,
        pass_through(workdir, upstream) as bare,
        hooksmith_execute(workdir, upstream, bench_webhook(upstream)) as execute,
    ):
        yield {"Node-RED": flow, "pass-through": bare, "hooksmith": execute}


@contextmanager
def recording_upstream() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """An HTTP server on a free port that answers like nginx and keeps what it was sent."""
    seen: list[dict[str, Any]] = []

    class Recorder(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name: self.headers.get(name) for name in COMPARED_HEADERS}
            seen.append({"request": f"POST {self.path}", **headers, "body": json.loads(body)})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(UPSTREAM_REPLY)))
            self.end_headers()
            self.wfile.write(UPSTREAM_REPLY)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def check_equivalence(workdir: Path) -> str:
    """Stop unless every peer sends the same upstream request and answers the same values."""
    sent: dict[str, dict[str, Any]] = {}
    answered: dict[str, object] = {}
    with recording_upstream() as (port, seen), peers(workdir, port) as targets:
        for label, target in targets.items():
            answer = post_json(target.url, CONVERSATION, target.token)
            if answer.get("ok") is not True or len(seen) != 1:
                raise RuntimeError(f"{label} did not execute the bench webhook: {answer}")
            sent[label], answered[label] = seen.pop(), answer["custom_variables"]
    expected, values = sent["hooksmith"], answered["hooksmith"]
    for label in sent:
        if sent[label] != expected or answered[label] != values:
            raise RuntimeError(
                f"{label} does other work than hooksmith:\n"
                f"  sent {sent[label]}\n  not  {expected}\n"
                f"  answered {answered[label]}, not {values}"
            )
    return f"{expected['request']}, {len(expected['body'])} body fields → {values}"


def commit() -> str:
    try:
        described = subprocess.run(
            ["git", "-C", str(HERE), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return described.stdout.strip()


def report(figures: dict[int, dict[str, Figures]]) -> None:
    """The peer table (markdown) and the ratios the issue sets targets for."""
    many, one = figures[max(LOADS)], figures[min(LOADS)]
    print(
        "\n| server | c=64 req/s | c=1 req/s | c=1 p50 ms | c=64 p50 / p99 ms "
        "| CPU µs/req c=64 / c=1 |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label in many:
        a, b = many[label], one[label]
        errors = a.errors + b.errors
        note = f" ({errors} errors)" if errors else ""
        print(
            f"| {label}{note} | {a.rps:,.0f} | {b.rps:,.0f} | {b.p50_ms:.2f} "
            f"| {a.p50_ms:.2f} / {a.p99_ms:.2f} | {a.cpu_us:,.0f} / {b.cpu_us:,.0f} |"
        )
    hook, bare = "hooksmith", "pass-through"
    print("\n| ratio | c=64 | c=1 | target |\n|---|---:|---:|---|")
    for peer, target in (("Node-RED", "≥ 3.0 at c=64"), (bare, "≥ 0.8 at c=64")):
        ratios = (many[hook].rps / many[peer].rps, one[hook].rps / one[peer].rps)
        print(f"| hooksmith / {peer} req/s | {ratios[0]:.2f} | {ratios[1]:.2f} | {target} |")
    cpu = (many[hook].cpu_us / many[bare].cpu_us, one[hook].cpu_us / one[bare].cpu_us)
    print(f"| hooksmith / {bare} CPU per request | {cpu[0]:.2f} | {cpu[1]:.2f} | ≤ 1.3 at c=1 |")
    print(f"\nhooksmith p50 at c=1: {one[hook].p50_ms:.2f} ms (target ≤ 0.50 ms)", flush=True)


def main() -> None:
    require_tools()
    version = install_node_red()
    upstream = free_port()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hooksmith-peers-")))
        print(f"same work: {check_equivalence(workdir / 'check')}", flush=True)
        body = workdir / "conversation.json"
        body.write_text(json.dumps(CONVERSATION), encoding="utf-8")
        nginx = running(
            nginx_command(workdir, upstream), log=workdir / "nginx.log", port=upstream, what="nginx"
        )
        direct = f"http://127.0.0.1:{upstream}/tickets?channel=web-widget-3&v=2"
        targets = {"nginx direct": Target(direct, "", stack.enter_context(nginx))}
        targets.update(stack.enter_context(peers(workdir / "run", upstream)))
        print(
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, Node-RED {version}, "
            f"{os.cpu_count()} CPUs shared by wrk, nginx and the servers; "
            f"{SECONDS:g} s per server and load in {SLICES} alternating slices",
            flush=True,
        )
        report(compare(targets, body))


if __name__ == "__main__":
    main()
