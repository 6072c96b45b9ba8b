"""`hooksmith serve` with `HOOKSMITH_LOG_FORMAT=json`: every line on stderr is a JSON object,
and the lines of a request carry the id answered in its `X-Request-Id` header."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.test_cli_server import call, environment, free_port
from tests.upstream import Upstream

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@contextmanager
def serving_json(tmp_path: Path, **env: str) -> Iterator[tuple[str, Path, Path]]:
    """`hooksmith serve` logging JSON: (base URL, its stdout file, its stderr file)."""
    port = free_port()
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    settings = {"HOOKSMITH_LOG_FORMAT": "json", "HOOKSMITH_ACCESS_LOG": "true", **env}
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "hooksmith", "serve", "--port", str(port)],
            stdout=stdout,
            stderr=stderr,
            env=environment(tmp_path / "var") | settings,
            text=True,
        )
    try:
        deadline = time.monotonic() + 30
        while "Uvicorn running on" not in err.read_text():
            assert process.poll() is None, err.read_text()
            assert time.monotonic() < deadline, err.read_text()
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", out, err
    finally:
        process.terminate()
        process.wait(10)


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of `text` as a JSON object (fails on a line that is not one)."""
    lines = []
    for line in text.splitlines():
        if line.strip():
            parsed = json.loads(line)
            assert isinstance(parsed, dict), line
            assert {"time", "level", "logger", "message"} <= parsed.keys(), line
            lines.append(parsed)
    return lines


def test_json_log_lines_carry_the_request_id_of_the_response(
    tmp_path: Path, upstream: Upstream
) -> None:
    with serving_json(tmp_path, HOOKSMITH_EGRESS_ALLOW="127.0.0.1") as (base, out, err):
        printed = out.read_text()
        token = re.search(r"API token (hs_\S+)", printed)
        password = re.search(r"password\s+(\S+)", printed)
        assert token is not None, printed
        assert password is not None, printed
        auth = {"Authorization": f"Bearer {token.group(1)}"}
        hook = {"name": "Echo", "url": upstream.url("/echo"), "method": "POST"}
        status, created, _ = call(base, "POST", "/api/v1/webhooks", hook, auth)
        assert status == 201, created
        path = f"/api/v1/webhooks/{created['id']}/execute?callback_url=x-secret-in-query"
        given = {"X-Request-Id": "bot-request-42", "traceparent": TRACEPARENT}
        status, _, answered = call(base, "POST", path, {}, auth | given)
        assert status == 422  # a callback URL on a sync webhook; logged without its query
        assert answered["x-request-id"] == "bot-request-42"
        status, result, answered = call(
            base, "POST", f"/api/v1/webhooks/{created['id']}/execute", {}, auth | given
        )
        assert status == 200, result
        assert answered["x-request-id"] == "bot-request-42"
        status, _, junk = call(base, "GET", "/healthz", headers={"X-Request-Id": "no spaces"})
        assert status == 200
        generated = junk["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated), generated
        # A failed sign-in is logged by hooksmith itself, within the request.
        wrong = {"email": "nobody@example.test", "password": "not it"}
        status, _, signin = call(base, "POST", "/api/v1/session", wrong)
        assert status == 401
        signin_id = signin["x-request-id"]

        def lines() -> list[dict[str, Any]]:
            return json_lines(err.read_text())

        deadline = time.monotonic() + 10
        while not any(line.get("request_id") == signin_id for line in lines()):
            assert time.monotonic() < deadline, err.read_text()
            time.sleep(0.05)
    logged = json_lines(err.read_text())
    assert any(line["message"].startswith("Application startup") for line in logged)
    ours = [line for line in logged if line.get("request_id") == "bot-request-42"]
    assert [line["status"] for line in ours] == [422, 200], ours
    assert all(line["logger"] == "uvicorn.access" for line in ours)
    assert all("?" not in line["path"] and "secret" not in line["message"] for line in ours)
    assert any(line.get("request_id") == generated for line in logged)
    assert any(
        line["logger"] == "hooksmith.service.signin" and line["level"] == "warning"
        for line in logged
        if line.get("request_id") == signin_id
    )
    startup = [line for line in logged if line["logger"] == "uvicorn.error"]
    assert startup
    assert all("request_id" not in line for line in startup)
    everything = err.read_text()
    assert token.group(1) not in everything
    assert password.group(1) not in everything
    # The execute's trace went on to the upstream as a new span of it.
    [sent] = [v for k, v in upstream.received[-1]["headers"] if k.lower() == "traceparent"]
    assert sent.split("-")[1] == TRACE_ID
    assert sent != TRACEPARENT
