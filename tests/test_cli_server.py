"""`hooksmith serve` and `hooksmith admin` as an operator runs them: real processes, real HTTP."""

from __future__ import annotations

import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet

from hooksmith.store import (
    Scope,
    SecretBox,
    TenantRepository,
    WebhookRepository,
    create_pool,
    db_opener,
    default_database_url,
    upgrade,
)
from hooksmith.store.callback_secrets import CallbackSecretRepository
from tests.commands import clean_environment, run_hooksmith
from tests.factories import make_webhook
from tests.shutdown import (
    check,
    refused,
    slow_webhook,
    stop_signal_exit,
    stored_session_ids,
    under_load,
)
from tests.upstream import Upstream


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(var_dir: Path) -> dict[str, str]:
    return clean_environment(HOOKSMITH_VAR_DIR=str(var_dir))


def hooksmith(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_hooksmith(*args, env=environment(var_dir))


@contextmanager
def serving(tmp_path: Path, **env: str) -> Iterator[tuple[str, str]]:
    """A `hooksmith serve` process on a fresh var dir: (base URL, everything it printed)."""
    with serving_process(tmp_path, **env) as (base, printed, _):
        yield base, printed


@contextmanager
def serving_process(tmp_path: Path, **env: str) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    """`serving`, with the process itself (to signal it)."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hooksmith", "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**environment(tmp_path / "var"), **env},
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        # uvicorn listens only after "Application startup complete": wait for the socket.
        while "Uvicorn running on" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield base, log.read_text(), process
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with serving(tmp_path) as running:
        yield running


def test_first_start_prints_demo_access_and_the_demo_webhook_works(
    served: tuple[str, str],
) -> None:
    base, printed = served
    token = re.search(r"API token (hs_\S+)", printed)
    execute = re.search(r"/api/v1/webhooks/(\d+)/execute", printed)
    assert token is not None, printed
    assert execute is not None, printed
    assert re.search(r"password\s+\S+", printed)
    request = urllib.request.Request(
        f"{base}/api/v1/webhooks/{execute.group(1)}/execute",
        data=json.dumps({"orderNumber": "1042", "fb": {"firstName": "Ana"}}).encode(),
        headers={"Authorization": f"Bearer {token.group(1)}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        result = json.loads(reply.read())
    assert result["ok"] is True, result
    assert result["custom_variables"] == {"order_number": "1042", "customer_name": "Ana"}


def test_admin_commands_create_tenants_and_a_token(tmp_path: Path) -> None:
    var = tmp_path / "var"
    assert hooksmith(var, "admin", "create-agency", "north", "North Agency").returncode == 0
    done = hooksmith(var, "admin", "create-company", "fjord", "Fjord", "--agency", "north")
    assert done.returncode == 0, done.stderr
    done = hooksmith(
        var,
        "admin",
        "create-user",
        "kai@north.example",
        "--agency",
        "north",
        "--admin",
        "--password",
        "correct horse battery",
    )
    assert done.returncode == 0, done.stderr
    done = hooksmith(var, "admin", "create-token", "bot", "--company", "fjord")
    assert done.returncode == 0, done.stderr
    assert re.search(r"^hs_\S{20,}$", done.stdout, re.MULTILINE)
    assert "(production," in done.stdout
    done = hooksmith(
        var, "admin", "create-token", "stage", "--company", "fjord", "--environment", "staging"
    )
    assert done.returncode == 0, done.stderr
    assert "(staging," in done.stdout
    done = hooksmith(
        var, "admin", "create-token", "odd", "--company", "fjord", "--environment", "preview"
    )
    assert done.returncode != 0
    assert "environment" in done.stderr
    done = hooksmith(var, "admin", "prune", "--days", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0 runs deleted"


def test_admin_unlocks_a_locked_account(tmp_path: Path) -> None:
    var = tmp_path / "var"
    assert hooksmith(var, "admin", "create-agency", "north", "North Agency").returncode == 0
    email = "kai@north.example"
    password = "correct horse battery"
    done = hooksmith(
        var, "admin", "create-user", email, "--agency", "north", "--password", password
    )
    assert done.returncode == 0, done.stderr
    database = var / "hooksmith.db"
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE users SET failed_sign_ins = 9, locked_until = '2999-01-01 00:00:00' "
            "WHERE email = ?",
            (email,),
        )
    done = hooksmith(var, "admin", "unlock-user", email)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT failed_sign_ins, locked_until FROM users WHERE email = ?", (email,)
        ).fetchone()
    assert row == (0, None)
    missing = hooksmith(var, "admin", "unlock-user", "nobody@north.example")
    assert missing.returncode == 2
    assert "email" in missing.stderr


def test_admin_bad_input_exits_2_naming_the_field(tmp_path: Path) -> None:
    done = hooksmith(tmp_path / "var", "admin", "create-company", "x", "X", "--agency", "nope")
    assert done.returncode == 2
    assert "agency" in done.stderr


async def test_admin_rotate_secrets_reencrypts_with_the_newest_key(tmp_path: Path) -> None:
    var = tmp_path / "var"
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    url = default_database_url(var)
    await upgrade(url)
    database = create_pool(url)
    try:
        async with db_opener(database)() as db:
            company = await TenantRepository(db).create_company("fjord", "Fjord")
            hook = make_webhook(auth={"type": "bearer", "token": "s3cret"})
            row = await WebhookRepository(db, SecretBox([old])).add(company.id, hook)
            await CallbackSecretRepository(db, SecretBox([old])).rotate(company.id, overlap=0)
            await db.commit()
            hook_id, company_id = row.id, company.id
        env = {"HOOKSMITH_SECRET_KEY": f"{new},{old}"}
        done = run_hooksmith("admin", "rotate-secrets", env=environment(var) | env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("1 webhook secrets, 1 callback secrets and 0 company secrets")
        only_new = SecretBox([new])
        async with db_opener(database)() as db:
            stored = await WebhookRepository(db, only_new).get(Scope.everything(), hook_id)
            assert stored is not None
            assert stored.auth_secret_ciphertext is not None
            token = only_new.decrypt(
                stored.auth_secret_ciphertext, company_id=company_id, webhook_id=hook_id
            )
            assert token == "s3cret"
            secrets = await CallbackSecretRepository(db, only_new).signing(company_id)
            assert secrets[0].startswith("whsec_")
    finally:
        await database.dispose()


def call(
    base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    """One request to the served API: (status, JSON body or None, response headers)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as reply:
            text = reply.read()
            status, answer = reply.status, dict(reply.headers)
    except urllib.error.HTTPError as error:
        text, status, answer = error.read(), error.code, dict(error.headers)
    return status, (json.loads(text) if text else None), answer


def test_webhooks_reach_the_servers_echo_but_not_its_api(
    tmp_path: Path, upstream: Upstream
) -> None:
    allow = {"HOOKSMITH_EGRESS_ALLOW": f"127.0.0.1:{upstream.port}"}
    with serving(tmp_path, **allow) as (base, printed):
        token = re.search(r"API token (hs_\S+)", printed)
        assert token is not None, printed
        bearer = {"Authorization": f"Bearer {token.group(1)}"}
        own_api = f"{base}/api/v1/me"
        targets = {
            "echo": f"{base}/echo/x",
            "api": own_api,
            "api by another notation": own_api.replace("127.0.0.1", "2130706433"),
            "sign-in": f"{base}/login",
            "redirected": upstream.url("/redirect?" + urlencode({"to": own_api})),
        }
        outcomes = {}
        for name, url in targets.items():
            hook = {
                "name": name,
                "method": "GET",
                "url": url,
                "headers": [{"key": "Authorization", "value": bearer["Authorization"]}],
            }
            status, created, _ = call(base, "POST", "/api/v1/webhooks", hook, bearer)
            assert status == 201, created
            _, result, _ = call(
                base, "POST", f"/api/v1/webhooks/{created['id']}/execute", {}, bearer
            )
            outcomes[name] = result
    assert outcomes["echo"]["ok"] is True, outcomes["echo"]
    for name in ("api", "api by another notation", "sign-in", "redirected"):
        error = outcomes[name]["error"]
        assert error["kind"] == "egress_blocked", (name, outcomes[name])
        assert (
            "this server's own API; webhooks may reach only its /echo endpoint" in error["message"]
        )
    assert upstream.received, "the redirect came from the upstream"


def test_admin_end_sessions_signs_a_user_out_of_the_running_server(tmp_path: Path) -> None:
    with serving(tmp_path) as (base, printed):
        found = re.search(r"email\s+(\S+)\s+password\s+(\S+)", printed)
        assert found is not None, printed
        email, password = found.groups()
        status, _, answer = call(
            base, "POST", "/api/v1/session", {"email": email, "password": password}
        )
        assert status == 200
        cookie = {"Cookie": answer["set-cookie"].split(";")[0]}
        assert call(base, "GET", "/api/v1/me", headers=cookie)[0] == 200

        done = hooksmith(tmp_path / "var", "admin", "end-sessions", email)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"1 sessions of {email} ended"
        deadline = time.monotonic() + 10  # the server trusts its cached lookup for 3 s
        while call(base, "GET", "/api/v1/me", headers=cookie)[0] == 200:
            assert time.monotonic() < deadline, "the ended session still works"
            time.sleep(0.1)
        assert call(base, "GET", "/api/v1/me", headers=cookie)[0] == 401
    missing = hooksmith(tmp_path / "var", "admin", "end-sessions", "nobody@example.test")
    assert missing.returncode == 2
    assert "email" in missing.stderr


def test_sigterm_lets_an_execute_in_flight_finish_and_stores_its_run(
    tmp_path: Path, upstream: Upstream
) -> None:
    with serving_process(tmp_path, HOOKSMITH_EGRESS_ALLOW="127.0.0.1") as (base, printed, proc):
        token = re.search(r"API token (hs_\S+)", printed)
        assert token is not None, printed
        auth = {"Authorization": f"Bearer {token.group(1)}"}
        slow = {"name": "Slow", "url": upstream.url("/slow?seconds=2"), "timeout": 10}
        status, created, _ = call(base, "POST", "/api/v1/webhooks", slow, auth)
        assert status == 201, created
        answers: list[tuple[int, Any]] = []

        def execute() -> None:
            path = f"/api/v1/webhooks/{created['id']}/execute"
            status, body, _ = call(base, "POST", path, {}, auth)
            answers.append((status, body))

        caller = threading.Thread(target=execute)
        caller.start()
        deadline = time.monotonic() + 10
        while not upstream.received:  # the execute is at the upstream now
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        caller.join(15)
        # uvicorn shuts down gracefully, then re-raises the signal: ended by SIGTERM, not killed.
        assert proc.wait(15) in (0, -signal.SIGTERM)
    assert answers, "the execute in flight got no answer"
    status, result = answers[0]
    assert status == 200, result
    assert result["ok"] is True, result
    with sqlite3.connect(tmp_path / "var" / "hooksmith.db") as db:
        stored = db.execute(
            "SELECT count(*) FROM runs WHERE webhook_id = ? AND kind = 'live'", (created["id"],)
        ).fetchone()
    assert stored == (1,)  # written by the run writer as the server stopped


UNLIMITED_COMPANY = {
    "HOOKSMITH_COMPANY_RATE_PER_SECOND": "100000",
    "HOOKSMITH_COMPANY_RATE_BURST": "100000",
    "HOOKSMITH_COMPANY_CONCURRENCY": "1000",
}
# Runs wait in the writer for seconds, so that those answered just before SIGTERM are stored
# only if the writer is flushed on the way out.
LAZY_WRITER = {"HOOKSMITH_RUN_WRITER_INTERVAL": "30"}


def test_sigterm_under_load_stores_every_answered_execute(
    tmp_path: Path, upstream: Upstream
) -> None:
    env = {"HOOKSMITH_EGRESS_ALLOW": "127.0.0.1", **UNLIMITED_COMPANY, **LAZY_WRITER}
    with serving_process(tmp_path, **env) as (base, printed, proc):
        token = re.search(r"API token (hs_\S+)", printed)
        assert token is not None, printed
        auth = {"Authorization": f"Bearer {token.group(1)}"}
        status, created, _ = call(base, "POST", "/api/v1/webhooks", slow_webhook(upstream), auth)
        assert status == 201, created
        load = under_load(proc, base, token.group(1), created["id"], upstream)
        assert stop_signal_exit(proc.returncode)
        assert refused(base)
    check(load, stored_session_ids(default_database_url(tmp_path / "var")))
