"""Builds the connection pool and the opener of units of work (`db`): SQLite by default,
PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import psycopg
from sqlalchemy import event
from sqlalchemy import exc as sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from hooksmith.store.jsontext import json_text


def create_pool(url: str, **options: Any) -> AsyncEngine:
    """A connection pool for `url`; on SQLite every connection enforces foreign keys and uses
    WAL."""
    parsed = make_url(url)
    # JSON columns (run results above all) are written by orjson, about 10x the json module.
    options.setdefault("json_serializer", json_text)
    # A failed statement's error (and so a logged traceback) leaves out its parameters: they
    # hold conversation data and results.
    options.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        pool = _create_async_engine(url, **options)
        event.listen(pool.sync_engine, "connect", _sqlite_pragmas)
        return pool
    options.setdefault("pool_pre_ping", True)
    return _create_async_engine(url, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite leaves foreign keys off per connection; WAL lets readers run beside the one writer.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def default_database_url(var_dir: Path) -> str:
    """The embedded default: a SQLite file `hooksmith.db` in `var_dir`, created if missing."""
    var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(var_dir / 'hooksmith.db').resolve()}"


def db_opener(pool: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Units of work (`db`) on `pool` whose objects stay readable after commit (no lazy reload
    in async)."""
    return async_sessionmaker(pool, expire_on_commit=False)


# What says the database could not be reached or used in time, as opposed to a wrong query:
# connections refused, ended or not allowed, the pool's wait run out, SQLite busy or missing.
_UNREACHABLE: tuple[type[BaseException], ...] = (
    sql.OperationalError,
    sql.InterfaceError,
    sql.DisconnectionError,
    sql.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ObjectNotInPrerequisiteStateError,  # "not currently accepting connections"
    psycopg.OperationalError,  # the job queue's driver (its pool's time-out included)
    ConnectionError,
)


def unreachable(error: BaseException) -> bool:
    """Whether `error`, or an error that led to it, says the database (or the job queue on it)
    could not be reached or used in time.

    >>> unreachable(ConnectionRefusedError()), unreachable(ValueError())
    (True, False)
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _UNREACHABLE):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
