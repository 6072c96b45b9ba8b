from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.token_endpoint import TokenEndpoint, serve_token_endpoint
from tests.upstream import Upstream, serve

# Database fixtures (a migrated database per test, on SQLite and PostgreSQL), shared by all tests.
pytest_plugins = ["tests.database"]


def pytest_configure(config: pytest.Config) -> None:
    # The suite starts hundreds of servers in one process (and its subprocesses inherit this):
    # a full collection and a heap freeze at each start would scan every object of every test.
    os.environ["HOOKSMITH_FREEZE_HEAP"] = "false"


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """A real HTTP server on 127.0.0.1 (see tests/upstream.py for its routes)."""
    with serve() as running:
        yield running


@pytest.fixture
def token_endpoint() -> Iterator[TokenEndpoint]:
    """A real OAuth2 token endpoint and a resource API on 127.0.0.1 (tests/token_endpoint.py)."""
    with serve_token_endpoint() as running:
        yield running
