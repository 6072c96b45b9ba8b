"""Migrations of stored webhooks keep what was stored: the first kept revision of each, and
the move of every field into the one `definition` column."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store import create_pool, downgrade, to_definition, upgrade
from hooksmith.store.models import WebhookRow

COMPANIES = sa.table(
    "companies",
    sa.column("id"),
    sa.column("slug"),
    sa.column("name"),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
WEBHOOKS = sa.table(
    "webhooks",
    *(sa.column(name) for name in ("id", "company_id", "name", "method", "url")),
    *(sa.column(name) for name in ("response_type", "execution", "timeout", "auth_type")),
    *(sa.column(name) for name in ("auth_username", "auth_secret_ciphertext", "body")),
    *(sa.column(name) for name in ("success_condition", "host_from_conversation", "revision")),
    *(sa.column(name, sa.JSON()) for name in ("headers", "params", "context")),
    *(sa.column(name, sa.JSON()) for name in ("custom_variables", "retry")),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
REVISIONS = sa.table(
    "webhook_revisions",
    sa.column("webhook_id"),
    sa.column("revision"),
    sa.column("secret_set", sa.Boolean()),
    sa.column("definition", sa.JSON()),
)


ORDERS = {
    "id": 7,
    "company_id": 1,
    "name": "Orders",
    "method": "GET",
    "url": "https://{{ region }}.api.example.com/orders",
    "response_type": "json",
    "execution": "sync",
    "timeout": 10.0,
    "auth_type": "basic",
    "auth_username": "bot",
    "auth_secret_ciphertext": "sealed",
    "body": None,
    "success_condition": None,
    "host_from_conversation": False,
    "revision": 5,
    "headers": [{"key": "Accept", "value": "application/json"}],
    "params": [],
    "context": {"region": "eu"},
    "custom_variables": [{"name": "status", "mapper": "response.status", "default": None}],
    "retry": None,
}


async def stored_before(url: str, revision: str) -> None:
    """The Orders webhook stored by the schema as it was at `revision`."""
    await upgrade(url, revision)
    pool = create_pool(url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        async with pool.begin() as connection:
            await connection.execute(
                sa.insert(COMPANIES).values(id=1, slug="acme", name="Acme", created_at=now)
            )
            await connection.execute(
                sa.insert(WEBHOOKS).values(**ORDERS, created_at=now, updated_at=now)
            )
    finally:
        await pool.dispose()


async def test_an_existing_webhook_keeps_its_current_definition_as_a_revision(
    empty_database_url: str,
) -> None:
    await stored_before(empty_database_url, "0010")
    await upgrade(empty_database_url)
    pool = create_pool(empty_database_url)
    try:
        async with pool.connect() as connection:
            kept = (await connection.execute(sa.select(REVISIONS))).mappings().all()
    finally:
        await pool.dispose()
    assert len(kept) == 1
    assert kept[0]["webhook_id"] == 7
    assert kept[0]["revision"] == 5
    assert kept[0]["secret_set"] is True
    definition = kept[0]["definition"]
    assert definition["name"] == "Orders"
    assert definition["company"] == "acme"
    assert definition["context"] == {"region": "eu"}
    assert definition["auth"] == {"type": "basic", "username": "bot"}
    assert "sealed" not in str(definition)


async def test_every_field_moves_into_the_definition_and_back(empty_database_url: str) -> None:
    await stored_before(empty_database_url, "0011")
    await upgrade(empty_database_url)
    pool = create_pool(empty_database_url)
    try:
        async with AsyncSession(pool) as db:
            row = await db.get(WebhookRow, 7)
            assert row is not None
            webhook = to_definition(row, "pw-123")
            assert row.auth_secret_ciphertext == "sealed"
            assert "sealed" not in str(row.definition)
            assert "pw-123" not in str(row.definition)
        assert webhook.company == "acme"
        assert webhook.auth.type == "basic"
        data = webhook.to_data()
        assert data["auth"] == {"type": "basic", "username": "bot", "password": "pw-123"}
        for name in ("name", "method", "url", "timeout", "headers", "context", "custom_variables"):
            assert data[name] == ORDERS[name], name
        await downgrade(empty_database_url, "0011")
        async with pool.connect() as connection:
            back = (await connection.execute(sa.select(WEBHOOKS))).mappings().one()
    finally:
        await pool.dispose()
    assert {name: back[name] for name in ORDERS} == ORDERS
