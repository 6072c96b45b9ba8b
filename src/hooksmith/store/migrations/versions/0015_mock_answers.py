"""Mock answers: a sample answer per webhook, staging tokens and a company's mock switch.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_samples",
        sa.Column(
            "webhook_id",
            sa.Integer(),
            sa.ForeignKey(
                "webhooks.id", ondelete="CASCADE", name="fk_webhook_samples_webhook_id_webhooks"
            ),
            nullable=False,
        ),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_by",
            sa.Integer(),
            sa.ForeignKey(
                "users.id", ondelete="SET NULL", name="fk_webhook_samples_updated_by_users"
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("webhook_id", name="pk_webhook_samples"),
        sa.CheckConstraint("source IN ('run', 'typed')", name="ck_webhook_samples_source"),
    )
    # Plain ADD COLUMN (a constant default): SQLite does it in place, where a batch copy of
    # `companies` would have to drop a table that others reference.
    op.add_column(
        "companies",
        sa.Column("mock_staging", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "api_tokens",
        sa.Column("environment", sa.String(10), nullable=False, server_default="production"),
    )
    op.add_column(
        "runs", sa.Column("mock", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("runs", "mock")
    op.drop_column("api_tokens", "environment")
    op.drop_column("companies", "mock_staging")
    op.drop_table("webhook_samples")
