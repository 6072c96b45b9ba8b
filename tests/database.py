"""Database fixtures: a fresh database migrated by Alembic per test, on SQLite and PostgreSQL.

SQLite always; PostgreSQL too when HOOKSMITH_TEST_DATABASE_URL is set (the database it names
need not exist: each test gets its own database cloned from a migrated template).
Fixtures: `database_url`, `empty_database_url`, `pool`, `open_db`, `db`, `statements`, `secret_box`,
`tenants` (two agencies with two companies each, and one company on its own).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hooksmith.store import (
    Scope,
    SecretBox,
    TenantRepository,
    create_pool,
    db_opener,
    upgrade,
)
from hooksmith.store.models import Agency, Company

T = TypeVar("T")
POSTGRES_VARIABLE = "HOOKSMITH_TEST_DATABASE_URL"


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_VARIABLE) else ["sqlite"]


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on its own event loop in a worker thread (safe from sync fixtures)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Postgres:
    """Creates and drops throw-away databases on the server named by HOOKSMITH_TEST_DATABASE_URL."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.prefix = (self.url.database or "hooksmith_test").lower()
        self.template: str | None = None

    def url_of(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def _admin_dsn(self) -> str:
        admin: URL = self.url.set(drivername="postgresql", database="postgres")
        return admin.render_as_string(hide_password=False)

    async def _execute(self, sql: str) -> None:
        connection = await asyncpg.connect(self._admin_dsn())
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    def create(self, *, migrated: bool) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        if migrated:
            if self.template is None:
                self.template = f"{self.prefix}_template_{uuid.uuid4().hex[:8]}"
                run_apart(self._execute(f'CREATE DATABASE "{self.template}"'))
                run_apart(upgrade(self.url_of(self.template)))
            run_apart(self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        else:
            run_apart(self._execute(f'CREATE DATABASE "{name}"'))
        return name

    def drop(self, name: str) -> None:
        run_apart(self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def _postgres() -> Iterator[Postgres | None]:
    url = os.environ.get(POSTGRES_VARIABLE)
    if not url:
        yield None
        return
    server = Postgres(url)
    yield server
    if server.template is not None:
        server.drop(server.template)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "hooksmith.db"
    run_apart(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


def _fresh_database(
    backend: str, tmp_path: Path, postgres: Postgres | None, template: Path | None
) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "hooksmith.db"
        if template is not None:
            shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    assert postgres is not None
    name = postgres.create(migrated=template is not None)
    try:
        yield postgres.url_of(name)
    finally:
        postgres.drop(name)


@pytest.fixture(params=backends())
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _postgres: Postgres | None,
    _sqlite_template: Path,
) -> Iterator[str]:
    """The URL of a fresh database of its own, migrated to the newest revision."""
    yield from _fresh_database(request.param, tmp_path, _postgres, _sqlite_template)


@pytest.fixture(params=backends())
def empty_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _postgres: Postgres | None
) -> Iterator[str]:
    """The URL of a fresh, empty database (never migrated)."""
    yield from _fresh_database(request.param, tmp_path, _postgres, None)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A connection pool on `database_url`, disposed after the test."""
    built = create_pool(database_url)
    yield built
    await built.dispose()


@pytest.fixture
def open_db(pool: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db_opener(pool)


@pytest.fixture
async def db(open_db: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work on the test's database; whatever it did not commit is rolled back."""
    async with open_db() as opened:
        yield opened


@pytest.fixture
def statements(pool: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement sent on `pool` while the test runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(pool.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(pool.sync_engine, "before_cursor_execute", record)


@pytest.fixture
def secret_box() -> SecretBox:
    return SecretBox([Fernet.generate_key().decode()])


@dataclass(frozen=True)
class Tenants:
    """Two agencies with two companies each, plus one company without an agency."""

    north: Agency
    south: Agency
    acme: Company  # north
    bolt: Company  # north
    cobalt: Company  # south
    delta: Company  # south
    solo: Company  # no agency

    def scope(self, *companies: Company) -> Scope:
        return Scope.of(*(company.id for company in companies))


@pytest.fixture
async def tenants(db: AsyncSession) -> Tenants:
    repository = TenantRepository(db)
    north = await repository.create_agency("north", "North Agency")
    south = await repository.create_agency("south", "South Agency")
    made = {}
    for slug, agency in [("acme", north), ("bolt", north), ("cobalt", south), ("delta", south)]:
        made[slug] = await repository.create_company(slug, slug.title(), agency_id=agency.id)
    solo = await repository.create_company("solo", "Solo")
    await db.commit()
    return Tenants(north=north, south=south, solo=solo, **made)
