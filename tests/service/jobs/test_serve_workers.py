"""`hooksmith serve --workers N`: N processes on one port over PostgreSQL; SQLite refuses N > 1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.commands import clean_environment, run_hooksmith
from tests.shutdown import (
    check,
    refused,
    slow_webhook,
    stop_signal_exit,
    stored_session_ids,
    under_load,
)
from tests.test_cli_server import LAZY_WRITER, UNLIMITED_COMPANY, call, environment, free_port
from tests.upstream import Upstream


def test_two_worker_processes_serve_one_port(postgres_url: str, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = environment(tmp_path / "var") | {"HOOKSMITH_DATABASE_URL": postgres_url}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hooksmith", "serve", "--port", str(port), "--workers", "2"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("Application startup complete") < 2:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        printed = log.read_text()
        assert len(set(re.findall(r"Started server process \[(\d+)\]", printed))) == 2
        token = re.search(r"API token (hs_\S+)", printed)
        execute = re.search(r"/api/v1/webhooks/(\d+)/execute", printed)
        assert token is not None, printed
        assert execute is not None, printed
        for _ in range(10):  # both processes answer the demo webhook (echo on the same port)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/webhooks/{execute.group(1)}/execute",
                data=json.dumps({"orderNumber": "7", "fb": {"firstName": "Bo"}}).encode(),
                headers={
                    "Authorization": f"Bearer {token.group(1)}",
                    "Content-Type": "application/json",
                },
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                result = json.loads(reply.read())
            assert result["ok"] is True, result
    finally:
        process.terminate()
        process.wait(20)


def test_sqlite_refuses_more_than_one_worker(tmp_path: Path) -> None:
    env = clean_environment(HOOKSMITH_VAR_DIR=str(tmp_path / "var"))
    done = run_hooksmith("serve", "--workers", "2", env=env)
    assert done.returncode == 2
    assert "--workers" in done.stderr
    assert "PostgreSQL" in done.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_under_load_stores_every_answered_execute(
    postgres_url: str, tmp_path: Path, upstream: Upstream, workers: int
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = environment(tmp_path / "var") | UNLIMITED_COMPANY | LAZY_WRITER
    env |= {"HOOKSMITH_DATABASE_URL": postgres_url, "HOOKSMITH_EGRESS_ALLOW": "127.0.0.1"}
    serve = ["serve", "--port", str(port), "--workers", str(workers)]
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hooksmith", *serve],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("Application startup complete") < workers:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        token = re.search(r"API token (hs_\S+)", log.read_text())
        assert token is not None, log.read_text()
        auth = {"Authorization": f"Bearer {token.group(1)}"}
        status, created, _ = call(base, "POST", "/api/v1/webhooks", slow_webhook(upstream), auth)
        assert status == 201, created
        load = under_load(process, base, token.group(1), created["id"], upstream)
        assert stop_signal_exit(process.returncode), log.read_text()[-3000:]
        assert refused(base)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    check(load, stored_session_ids(postgres_url))
