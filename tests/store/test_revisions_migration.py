"""The migration that starts keeping revisions keeps each existing webhook's current one."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from hooksmith.store import create_engine, upgrade

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


async def test_an_existing_webhook_keeps_its_current_definition_as_a_revision(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url, "0010")
    engine = create_engine(empty_database_url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(COMPANIES).values(id=1, slug="acme", name="Acme", created_at=now)
            )
            await connection.execute(
                sa.insert(WEBHOOKS).values(
                    id=7,
                    company_id=1,
                    name="Orders",
                    method="GET",
                    url="https://api.example.com/orders",
                    response_type="json",
                    execution="sync",
                    timeout=10.0,
                    auth_type="basic",
                    auth_username="bot",
                    auth_secret_ciphertext="sealed",
                    body=None,
                    success_condition=None,
                    host_from_conversation=False,
                    revision=5,
                    headers=[],
                    params=[],
                    context={"region": "eu"},
                    custom_variables=[],
                    retry=None,
                    created_at=now,
                    updated_at=now,
                )
            )
        await upgrade(empty_database_url)
        async with engine.connect() as connection:
            kept = (await connection.execute(sa.select(REVISIONS))).mappings().all()
    finally:
        await engine.dispose()
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
