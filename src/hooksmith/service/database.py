"""The one way to open the configured database: migrated (unless told not to), with its units
of work and the secret box that reads its stored secrets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hooksmith.settings import Settings
from hooksmith.store import SecretBox, create_pool, db_opener, upgrade


@dataclass(frozen=True)
class Database:
    """An open database: `open_db()` opens a unit of work (`db`); `close` releases the
    connections."""

    url: str
    pool: AsyncEngine
    open_db: async_sessionmaker[AsyncSession]
    box: SecretBox

    async def close(self) -> None:
        await self.pool.dispose()


async def open_database(settings: Settings, *, migrate: bool | None = None) -> Database:
    """The configured database, migrated to head first when `migrate` (by default
    `settings.migrate_on_start`)."""
    url = settings.resolved_database_url()
    if settings.migrate_on_start if migrate is None else migrate:
        await upgrade(url)
    pool = create_pool(url)
    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    return Database(url, pool, db_opener(pool), SecretBox.from_setting(key, settings.var_dir))


@asynccontextmanager
async def database_of(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Database]:
    """`open_database` for one piece of work (a CLI command, the first-run setup)."""
    database = await open_database(settings, migrate=migrate)
    try:
        yield database
    finally:
        await database.close()
