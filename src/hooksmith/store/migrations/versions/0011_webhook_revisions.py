"""Every save of a webhook keeps its definition as a revision, with who saved it and when.

The current definition of each existing webhook becomes its first kept revision.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 23:40:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The webhook columns a revision keeps as they were in this migration.
_PLAIN = (
    "name",
    "method",
    "url",
    "response_type",
    "execution",
    "timeout",
    "headers",
    "params",
    "context",
    "body",
    "custom_variables",
    "retry",
    "success_condition",
    "host_from_conversation",
)


def upgrade() -> None:
    revisions = op.create_table(
        "webhook_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "webhook_id",
            sa.Integer(),
            sa.ForeignKey(
                "webhooks.id",
                ondelete="CASCADE",
                name="fk_webhook_revisions_webhook_id_webhooks",
            ),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("secret_set", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_by",
            sa.Integer(),
            sa.ForeignKey(
                "users.id", ondelete="SET NULL", name="fk_webhook_revisions_created_by_users"
            ),
            nullable=True,
        ),
        sa.UniqueConstraint("webhook_id", "revision", name="uq_webhook_revisions_webhook_id"),
    )
    assert revisions is not None
    webhooks = sa.table(
        "webhooks",
        sa.column("id", sa.Integer()),
        sa.column("company_id", sa.Integer()),
        sa.column("revision", sa.Integer()),
        sa.column("auth_type", sa.String()),
        sa.column("auth_username", sa.String()),
        sa.column("auth_secret_ciphertext", sa.Text()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("updated_by", sa.Integer()),
        sa.column("headers", sa.JSON()),
        sa.column("params", sa.JSON()),
        sa.column("context", sa.JSON()),
        sa.column("custom_variables", sa.JSON()),
        sa.column("retry", sa.JSON()),
        *(
            sa.column(name)
            for name in _PLAIN
            if name not in {"headers", "params", "context", "custom_variables", "retry"}
        ),
    )
    companies = sa.table("companies", sa.column("id", sa.Integer()), sa.column("slug", sa.String()))
    connection = op.get_bind()
    slugs = dict(connection.execute(sa.select(companies.c.id, companies.c.slug)).all())
    kept: list[dict[str, Any]] = []
    for row in connection.execute(sa.select(webhooks)).mappings():
        auth: dict[str, Any] = {"type": row["auth_type"]}
        if row["auth_type"] == "basic":
            auth["username"] = row["auth_username"]
        definition = {name: row[name] for name in _PLAIN}
        definition |= {"company": slugs.get(row["company_id"]), "auth": auth}
        kept.append(
            {
                "webhook_id": row["id"],
                "revision": row["revision"],
                "definition": definition,
                "secret_set": row["auth_secret_ciphertext"] is not None,
                "created_at": row["updated_at"],
                "created_by": row["updated_by"],
            }
        )
    if kept:
        op.bulk_insert(revisions, kept)


def downgrade() -> None:
    op.drop_table("webhook_revisions")
