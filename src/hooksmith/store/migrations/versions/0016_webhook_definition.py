"""A webhook's fields live in one JSON `definition` column instead of a column each.

The definition is every field of a webhook but the company (the foreign key) and the auth's
write-only secret (still encrypted apart); `name` stays a column for searching and sorting.
A new field of a webhook then needs no column, only a default in the engine's model.

SQLite drops the old columns in place (ALTER TABLE ... DROP COLUMN, SQLite 3.35+): rebuilding the
table, as batch mode does, would drop the old one and with it, through ON DELETE CASCADE, every
run and kept revision of every webhook.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 01:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The columns each field had before this migration, with their types.
_COLUMNS: tuple[tuple[str, Any, bool], ...] = (
    ("method", sa.String(10), False),
    ("url", sa.Text(), False),
    ("response_type", sa.String(10), False),
    ("execution", sa.String(10), False),
    ("timeout", sa.Float(), False),
    ("headers", sa.JSON(), False),
    ("params", sa.JSON(), False),
    ("context", sa.JSON(), False),
    ("body", sa.Text(), True),
    ("custom_variables", sa.JSON(), False),
    ("retry", sa.JSON(), True),
    ("success_condition", sa.Text(), True),
    ("host_from_conversation", sa.Boolean(), False),
)
_AUTH = (("auth_type", sa.String(10), False), ("auth_username", sa.String(500), True))


def _webhooks(*columns: tuple[str, Any, bool]) -> sa.TableClause:
    return sa.table(
        "webhooks",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("definition", sa.JSON()),
        *(sa.column(name, kind) for name, kind, _ in columns),
    )


def _in_place() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def upgrade() -> None:
    # NOT NULL from the start: SQLite cannot add the constraint later without a rebuild.
    op.add_column(
        "webhooks",
        sa.Column("definition", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )
    webhooks = _webhooks(*_COLUMNS, *_AUTH)
    connection = op.get_bind()
    for row in connection.execute(sa.select(webhooks)).mappings().all():
        auth: dict[str, Any] = {"type": row["auth_type"]}
        if row["auth_type"] == "basic":
            auth["username"] = row["auth_username"]
        definition = {name: row[name] for name, _, _ in _COLUMNS}
        definition |= {"name": row["name"], "auth": auth}
        connection.execute(
            sa.update(webhooks).where(webhooks.c.id == row["id"]).values(definition=definition)
        )
    if not _in_place():
        op.alter_column("webhooks", "definition", server_default=None)
    for name, _, _ in (*_COLUMNS, *_AUTH):
        op.drop_column("webhooks", name)


def downgrade() -> None:
    for name, kind, _ in (*_COLUMNS, *_AUTH):
        op.add_column("webhooks", sa.Column(name, kind, nullable=True))
    webhooks = _webhooks(*_COLUMNS, *_AUTH)
    connection = op.get_bind()
    for row in connection.execute(sa.select(webhooks)).mappings().all():
        definition = row["definition"]
        values = {name: definition.get(name) for name, _, _ in _COLUMNS}
        values["host_from_conversation"] = bool(values["host_from_conversation"])
        values |= {
            "auth_type": definition["auth"]["type"],
            "auth_username": definition["auth"].get("username"),
        }
        connection.execute(sa.update(webhooks).where(webhooks.c.id == row["id"]).values(**values))
    if not _in_place():  # SQLite keeps them nullable rather than rebuild the table
        for name, kind, nullable in (*_COLUMNS, *_AUTH):
            if not nullable:
                op.alter_column("webhooks", name, existing_type=kind, nullable=False)
    op.drop_column("webhooks", "definition")
