from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.upstream import Upstream, serve

# Database fixtures (a migrated database per test, on SQLite and PostgreSQL), shared by all tests.
pytest_plugins = ["tests.database"]


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """A real HTTP server on 127.0.0.1 (see tests/upstream.py for its routes)."""
    with serve() as running:
        yield running
