"""Runs the packaged Alembic migrations programmatically, with no alembic.ini needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from hooksmith.store.database import create_pool

MIGRATIONS = Path(__file__).parent / "migrations"

_Step: TypeAlias = Callable[[Config], None]


def alembic_config(url: str) -> Config:
    """An Alembic configuration built in code, pointing at the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would read a '%' in a password as a placeholder.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision` (the newest by default)."""
    await _run(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str, revision: str = "base") -> None:
    """Migrate the database at `url` down to `revision` (an empty schema by default)."""
    await _run(url, lambda config: command.downgrade(config, revision))


async def _run(url: str, step: _Step) -> None:
    pool = create_pool(url)
    try:
        async with pool.begin() as connection:
            await connection.run_sync(_with_connection, alembic_config(url), step)
    finally:
        await pool.dispose()


def _with_connection(connection: Connection, config: Config, step: _Step) -> None:
    config.attributes["connection"] = connection
    step(config)


async def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at, or None when it was never migrated."""
    pool = create_pool(url)
    try:
        async with pool.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await pool.dispose()


async def revision_on(connection: AsyncConnection) -> str | None:
    """The revision of the database behind an open `connection` (None when never migrated)."""
    return await connection.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_revision()
    )


def head_revision() -> str | None:
    """The newest revision shipped in the package."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
