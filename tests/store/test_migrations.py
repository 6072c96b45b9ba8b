from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from hooksmith.store import create_pool, downgrade, upgrade
from hooksmith.store.migrate import current_revision, head_revision
from hooksmith.store.models import Base

TABLES = {
    "agencies",
    "companies",
    "users",
    "api_tokens",
    "webhooks",
    "runs",
    "callback_secrets",
    "sessions",
    "servers",
    "webhook_revisions",
    "oauth_tokens",
    "company_secrets",
    "company_variables",
    "webhook_samples",
    "webhook_templates",
    "webhook_template_versions",
    "webhook_origins",
}


async def tables(url: str) -> set[str]:
    pool = create_pool(url)
    try:
        async with pool.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await pool.dispose()
    return set(names) - {"alembic_version"}


async def differences(url: str) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    pool = create_pool(url)
    try:
        async with pool.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await pool.dispose()


async def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    assert await tables(empty_database_url) == set()
    assert await current_revision(empty_database_url) is None

    await upgrade(empty_database_url)
    assert await tables(empty_database_url) == TABLES
    assert await current_revision(empty_database_url) == head_revision()

    await downgrade(empty_database_url)
    assert await tables(empty_database_url) == set()
    assert await current_revision(empty_database_url) is None

    await upgrade(empty_database_url)
    assert await tables(empty_database_url) == TABLES


async def test_migrations_match_the_models(database_url: str) -> None:
    assert await differences(database_url) == []
