from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store import create_pool, default_database_url
from hooksmith.store.models import Company


def test_default_database_url_creates_the_folder(tmp_path: Path) -> None:
    var = tmp_path / "deep" / "var"
    url = default_database_url(var)
    assert var.is_dir()
    assert url == f"sqlite+aiosqlite:///{var.resolve()}/hooksmith.db"


async def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path: Path) -> None:
    pool = create_pool(default_database_url(tmp_path))
    try:
        async with pool.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    finally:
        await pool.dispose()


async def test_foreign_keys_are_enforced(db: AsyncSession) -> None:
    db.add(Company(slug="orphan", name="Orphan", agency_id=999))
    with pytest.raises(IntegrityError):
        await db.flush()


async def test_a_failed_statement_keeps_its_parameters_out_of_the_error(
    db: AsyncSession,
) -> None:
    # Errors end in logged tracebacks; their parameters would be conversation data and results.
    db.add(Company(slug="orphan", name="value-of-a-conversation", agency_id=999))
    with pytest.raises(IntegrityError) as raised:
        await db.flush()
    assert "value-of-a-conversation" not in str(raised.value)
    assert "hidden due to hide_parameters" in str(raised.value)
