"""Fixtures of the queue tests: the API fixtures with fast callback backoff and worker timings,
a callback receiver, and a PostgreSQL database for tests that need the real job queue."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from hooksmith.settings import Settings
from tests.api.conftest import api, server, settings_for, world  # noqa: F401  (fixtures too)
from tests.database import POSTGRES_VARIABLE, Postgres, run_apart
from tests.service.jobs.receiver import Receiver, receiving
from tests.upstream import serve

CALLBACK_SECRET = "test-callback-secret"
LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/hooksmith_queue_test"


def fast(**overrides: object) -> dict[str, object]:
    """Settings that make backoff, heartbeats and stalled-worker detection take moments."""
    values: dict[str, object] = {
        "egress_allow": "127.0.0.1",
        "callback_secret": SecretStr(CALLBACK_SECRET),
        "callback_backoff_seconds": 0.05,
        "callback_backoff_max_seconds": 0.2,
        "worker_heartbeat_seconds": 0.5,
        "worker_stalled_seconds": 2.0,
        "webhook_cache_seconds": 0.5,
    }
    values.update(overrides)
    return values


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return settings_for(database_url, tmp_path, **fast())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A loopback callback receiver that verifies signatures (see receiver.py)."""
    found = Receiver(secret=CALLBACK_SECRET.encode())
    with serve(lambda upstream: receiving(found, upstream)) as upstream:
        found.base_url = upstream.base_url
        yield found


@pytest.fixture(scope="session")
def _queue_postgres() -> Iterator[Postgres]:
    """The PostgreSQL server of the real-queue tests: HOOKSMITH_TEST_DATABASE_URL's, else the
    machine's at 127.0.0.1:5432; skipped when neither answers."""
    postgres = Postgres(os.environ.get(POSTGRES_VARIABLE) or LOCAL_POSTGRES)
    try:
        run_apart(postgres._execute("SELECT 1"))
    except Exception as error:
        where = f"{postgres.url.host}:{postgres.url.port}"
        pytest.skip(f"PostgreSQL is unreachable at {where}: {error}")
    yield postgres
    if postgres.template is not None:
        postgres.drop(postgres.template)


@pytest.fixture
def postgres_url(_queue_postgres: Postgres) -> Iterator[str]:
    """A fresh migrated PostgreSQL database (with the job queue's schema) for one test."""
    name = _queue_postgres.create(migrated=True)
    try:
        yield _queue_postgres.url_of(name)
    finally:
        _queue_postgres.drop(name)
