"""Where an execute's time goes: py-spy samples `hooksmith serve` under the peers bench's load.

Starts the local nginx upstream and `hooksmith serve` with the bench webhook (as
`bench/peers.py` does), drives `POST /execute` with wrk at 64 connections, records the server
with py-spy for `BENCH_SECONDS` (10) seconds and prints the share of samples spent in each part
of the path: inclusive (the function or anything it called) for the named parts, then the
hottest functions by their own samples. Needs py-spy (the `bench` extra) and root or ptrace
rights; `make bench` runs it last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from engine import CONVERSATION, bench_webhook
from harness import free_port, hooksmith_execute, nginx_command, require_tools, running, wrk

SECONDS = int(float(os.environ.get("BENCH_SECONDS", "10")))
BIN = Path(sys.executable).parent
# The parts of the live path, by a function (file:name) whose inclusive share is shown.
PARTS = {
    "HTTP server (httptools protocol, uvicorn)": "httptools_impl.py",
    "execute shortcut: caller, body, answer": "hooksmith/api/execute.py",
    "request bounds and security headers": "hooksmith/api/bodies.py",
    "service: runs.execute": "hooksmith/service/runs.py",
    "engine: execute (all of it)": "hooksmith/engine/executor.py",
    "engine: prepare (render the request)": "hooksmith/engine/request.py",
    "engine: body template in the sandbox": "hooksmith/engine/body.py",
    "engine: transport (send, read)": "hooksmith/engine/transport.py",
    "engine: outbound capacity": "hooksmith/engine/capacity.py",
    "engine: parse the answer": "hooksmith/engine/parsing.py",
    "engine: mappers and condition": "hooksmith/engine/phases.py",
    "engine: result models": "hooksmith/engine/result.py",
    "aiohttp client": "aiohttp/client",
    "run writer": "hooksmith/service/jobs/writer.py",
    "pydantic serialisation": "pydantic",
}


def main() -> None:
    require_tools()
    upstream = free_port()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hooksmith-prof-")))
        body = workdir / "conversation.json"
        body.write_text(json.dumps(CONVERSATION), encoding="utf-8")
        nginx = nginx_command(workdir, upstream)
        stack.enter_context(running(nginx, log=workdir / "nginx.log", port=upstream, what="nginx"))
        (workdir / "run").mkdir()
        target = stack.enter_context(
            hooksmith_execute(workdir / "run", upstream, bench_webhook(upstream))
        )
        wrk(target, body, 64, "2s")  # warm up
        raw = workdir / "profile.txt"
        load = threading.Thread(target=wrk, args=(target, body, 64, f"{SECONDS + 2}s"))
        load.start()
        spy = [str(BIN / "py-spy"), "record", "--format", "raw", "--nonblocking", "-r", "250"]
        spy += ["-d", str(SECONDS), "-o", str(raw), "-p", str(target.pid)]
        subprocess.run(spy, check=True, capture_output=True)
        load.join()
        report(raw.read_text(encoding="utf-8"))


def report(collapsed: str) -> None:
    """Print inclusive shares of `PARTS` and the top functions by own samples."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        for part, marker in PARTS.items():
            if any(marker in frame for frame in frames):
                inclusive[part] += count
        own[frames[-1]] += count
    if not total:
        print("no samples")
        return
    print(f"py-spy, {total} samples of the server under wrk -c64; inclusive share of each part:")
    for part, _ in sorted(inclusive.items(), key=lambda item: -item[1]):
        print(f"  {inclusive[part] / total:6.1%}  {part}")
    idle = sum(count for frame, count in own.items() if "select" in frame or "poll" in frame)
    print(f"  {idle / total:6.1%}  waiting in the event loop's poll (idle)")
    print("hottest functions by own samples:")
    for frame, count in own.most_common(15):
        print(f"  {count / total:6.1%}  {frame[:110]}")


if __name__ == "__main__":
    main()
