"""Alembic's environment: runs the migrations on the connection that `migrate.py` hands over."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from hooksmith.store.database import create_pool
from hooksmith.store.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_url(url: str) -> None:
    pool = create_pool(url)
    try:
        async with pool.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await pool.dispose()


def main() -> None:
    if context.is_offline_mode():
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"),
            target_metadata=Base.metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_on_url(context.config.get_main_option("sqlalchemy.url") or ""))


main()
