"""SIGTERM under load: callers keep a served webhook busy while the server is told to stop.

`under_load` starts `callers` threads that execute one sync webhook in a loop, each request
with its own `certainly.sessionId` (stored with the run), sends SIGTERM to the server once
every caller has had a request at the upstream and some answers have come back, and lets the
callers go on until the server no longer answers. `stored_session_ids` reads back which runs
the server wrote, so a test can hold the answers against the database.
"""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select

from hooksmith.store import create_pool, db_opener
from hooksmith.store.models import RunRow
from tests.database import run_apart
from tests.upstream import Upstream

# Seconds the slow upstream holds each request: SIGTERM arrives while a wave is in flight.
UPSTREAM_SECONDS = 1.5


@dataclass(frozen=True)
class Answer:
    """What one execute got: an HTTP status, or the connection error that ended it."""

    session_id: str
    status: int | None
    error: str | None
    sent_at: float
    answered_at: float


@dataclass
class Load:
    """Every answer, when SIGTERM was sent, and which session ids the upstream held then."""

    answers: list[Answer] = field(default_factory=list)
    stopped_at: float = 0.0
    in_flight_at_stop: set[str] = field(default_factory=set)

    def of_status(self, status: int) -> list[Answer]:
        return [answer for answer in self.answers if answer.status == status]


def slow_webhook(upstream: Upstream) -> dict[str, object]:
    """A sync webhook that POSTs the conversation's session id to the slow upstream."""
    return {
        "name": "Slow under load",
        "method": "POST",
        "url": upstream.url(f"/slow?seconds={UPSTREAM_SECONDS}"),
        "body": '{"sid": "{{ certainly.sessionId }}"}',
        "timeout": 10,
    }


def _execute(base: str, path: str, token: str, session_id: str) -> tuple[int | None, str | None]:
    """One execute on a connection of its own: (status, None) or (None, the error's name)."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=20)
    body = json.dumps({"certainly": {"sessionId": session_id}, "userName": "Ana"})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        connection.request("POST", path, body=body, headers=headers)
        reply = connection.getresponse()
        reply.read()
        return reply.status, None
    except (OSError, http.client.HTTPException) as error:
        return None, type(error).__name__
    finally:
        connection.close()


def _upstream_session_ids(upstream: Upstream) -> set[str]:
    return {json.loads(seen["body"])["sid"] for seen in list(upstream.received)}


def under_load(
    process: subprocess.Popen[str],
    base: str,
    token: str,
    webhook_id: int,
    upstream: Upstream,
    *,
    callers: int = 40,
) -> Load:
    """Drive `callers` concurrent executes, SIGTERM `process` mid-wave, wait for it to exit."""
    load = Load()
    lock = threading.Lock()
    path = f"/api/v1/webhooks/{webhook_id}/execute"

    def caller(number: int) -> None:
        count = 0
        while True:
            session_id = f"caller{number}-{count}"
            count += 1
            sent = time.monotonic()
            status, error = _execute(base, path, token, session_id)
            with lock:
                load.answers.append(Answer(session_id, status, error, sent, time.monotonic()))
            if status is None:
                return  # refused: after the stop as expected; before it, `check` says so

    threads = [threading.Thread(target=caller, args=(n,), daemon=True) for n in range(callers)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    # A first wave answered and a second one at the upstream: the server is under load.
    while len(load.of_status(200)) < callers or len(upstream.received) < callers * 2:
        assert time.monotonic() < deadline, (len(load.answers), len(upstream.received))
        assert all(thread.is_alive() for thread in threads), load.answers[-5:]
        time.sleep(0.02)
    with lock:
        load.in_flight_at_stop = _upstream_session_ids(upstream) - {
            answer.session_id for answer in load.answers
        }
        load.stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive(), "a caller still gets answers 30 s after SIGTERM"
    process.wait(30)
    return load


def stored_session_ids(database_url: str) -> set[str]:
    """The session ids of every live run in the database."""

    async def read() -> set[str]:
        database = create_pool(database_url)
        try:
            async with db_opener(database)() as db:
                rows = await db.execute(select(RunRow.session_id).where(RunRow.kind == "live"))
                return {session_id for (session_id,) in rows if session_id is not None}
        finally:
            await database.dispose()

    return run_apart(read())


def refused(base: str) -> bool:
    """Whether a new connection to the stopped server is refused."""
    status, error = _execute(base, "/healthz", "", "after")
    return status is None and error == "ConnectionRefusedError"


def check(load: Load, stored: set[str]) -> None:
    """Every answered execute stored, the ones in flight at SIGTERM answered, nothing else."""
    assert load.in_flight_at_stop, "no execute was at the upstream when SIGTERM was sent"
    answered = {answer.session_id for answer in load.of_status(200)}
    assert not answered - stored, f"answered but not stored: {sorted(answered - stored)}"
    assert not load.in_flight_at_stop - answered, (
        f"in flight at SIGTERM but not answered: {sorted(load.in_flight_at_stop - answered)}"
    )
    before = [a for a in load.answers if a.answered_at < load.stopped_at and a.status != 200]
    assert not before, f"failures before SIGTERM: {before[:5]}"
    after = [a for a in load.answers if a.status not in (200, None)]
    assert not after, f"answered other than 200 or a closed connection: {after[:5]}"
    unexpected = {a.error for a in load.answers if a.error} - CLOSED_CONNECTION
    assert not unexpected, f"connection errors of other kinds: {unexpected}"


# How a stopping server turns a caller away: the port is closed, or an accepted connection
# closed before its request was read.
CLOSED_CONNECTION = {
    "ConnectionRefusedError",
    "ConnectionResetError",
    "RemoteDisconnected",
    "BrokenPipeError",
}


def stop_signal_exit(code: int | None) -> bool:
    """uvicorn ends gracefully and re-raises the signal: ended by SIGTERM, not killed."""
    return code in (0, -signal.SIGTERM)
