"""The `hooksmith` command as a user runs it: a real process, a real upstream on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

from tests.commands import run_hooksmith
from tests.factories import ROOT
from tests.upstream import Upstream

EXAMPLES = ROOT / "examples"


def hooksmith(*args: str, allow: str = "127.0.0.1") -> subprocess.CompletedProcess[str]:
    return run_hooksmith(*args, env={**os.environ, "HOOKSMITH_EGRESS_ALLOW": allow})


def definition(tmp_path: Path, **data: object) -> str:
    path = tmp_path / "hook.yaml"
    path.write_text(yaml.safe_dump({"name": "CLI test", **data}))
    return str(path)


def test_run_prints_the_result_object(tmp_path: Path, upstream: Upstream) -> None:
    hook = definition(
        tmp_path,
        url=upstream.url("/echo"),
        custom_variables=[{"name": "m", "mapper": "response.method"}],
    )
    done = hooksmith("run", hook, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True
    assert result["custom_variables"] == {"m": "GET"}
    assert set(result) >= {
        "ok",
        "status",
        "duration_ms",
        "request",
        "response",
        "custom_variables",
        "error",
        "warnings",
    }


def test_run_human_output(tmp_path: Path, upstream: Upstream) -> None:
    hook = definition(
        tmp_path,
        url=upstream.url("/echo"),
        custom_variables=[{"name": "m", "mapper": "response.method"}],
    )
    done = hooksmith("run", hook)
    assert done.returncode == 0
    assert "HTTP 200" in done.stdout
    assert 'm = "GET"' in done.stdout


def test_failed_webhook_exits_1(tmp_path: Path, upstream: Upstream) -> None:
    done = hooksmith("run", definition(tmp_path, url=upstream.url("/status/500")))
    assert done.returncode == 1
    assert "http_error" in done.stdout


def test_invalid_definition_exits_2_naming_the_field(tmp_path: Path) -> None:
    done = hooksmith("run", definition(tmp_path, url="https://x.example.com", timeout=0))
    assert done.returncode == 2
    assert "timeout: must be > 0 and ≤ 60 seconds (got 0)" in done.stderr


def test_bad_data_file_exits_2(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("[1, 2]")
    done = hooksmith("run", definition(tmp_path, url="https://x.example.com"), "--data", str(data))
    assert done.returncode == 2
    assert "JSON object" in done.stderr


def test_seed_example_renders_its_body_as_valid_json() -> None:
    done = hooksmith(
        "run",
        str(EXAMPLES / "seed-conversation-log.yaml"),
        "--data",
        str(EXAMPLES / "conversation.json"),
        "--json",
        allow="",
    )
    result = json.loads(done.stdout)
    body = json.loads(result["request"]["body"])
    assert body["sessionId"] == "c0f3e9a2-5d7b-4f43-9a51-2f0a8e6b1d44"
    assert body["firstName"] == "Ana"
    assert "example-token-change-me" not in done.stdout


def test_render_sends_nothing(tmp_path: Path, upstream: Upstream) -> None:
    hook = definition(
        tmp_path,
        method="POST",
        url=upstream.url("/echo"),
        body='{"a": 1}',
        auth={"type": "basic", "username": "u", "password": "secret-pw"},
    )
    done = hooksmith("render", hook)
    assert done.returncode == 0
    assert done.stdout.startswith(f"POST {upstream.url('/echo')}")
    assert "Authorization: Basic u:se…pw" in done.stdout
    assert "secret-pw" not in done.stdout
    assert upstream.received == []


STRIPE = """curl https://api.stripe.com/v1/customers \\
  -u sk_test_key: \\
  -d "name=Jenny Rosen" \\
  --data-urlencode "email=jenny+rosen@example.com"
"""


def test_curl_prints_a_command_as_a_definition_and_back(tmp_path: Path) -> None:
    command = tmp_path / "stripe.sh"
    command.write_text(STRIPE)
    done = hooksmith("curl", str(command))
    assert done.returncode == 0, done.stderr
    data = yaml.safe_load(done.stdout)
    assert data["method"] == "POST"
    assert data["auth"] == {"type": "basic", "username": "sk_test_key", "password": ""}
    assert data["params"][1] == {"key": "email", "value": "jenny+rosen@example.com"}
    saved = tmp_path / "stripe.yaml"
    saved.write_text(done.stdout)
    back = hooksmith("curl", "--from-definition", str(saved))
    assert back.returncode == 0, back.stderr
    assert back.stdout.startswith("curl -X POST 'https://api.stripe.com/v1/customers?name=")
    assert '-u sk_test_key:"$HOOKSMITH_PASSWORD"' in back.stdout
    revealed = hooksmith("curl", "--from-definition", str(saved), "--reveal")
    (tmp_path / "again.sh").write_text(revealed.stdout)
    again = hooksmith("curl", str(tmp_path / "again.sh"), "--json")
    assert json.loads(again.stdout) == data


def test_curl_reads_stdin_and_names_a_bad_flag() -> None:
    done = run_hooksmith(
        "curl", "-", env={**os.environ}, stdin="curl --proxy http://p:1 https://a.example"
    )
    assert done.returncode == 2
    assert "--proxy" in done.stderr
    assert "curl:" in done.stderr
