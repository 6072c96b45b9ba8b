"""Mock answers: a sample answer per webhook, staging tokens and a company's mock switch.

Revision ID: 0015
Revises: 0011
Create Date: 2026-11-30 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0011"
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
    with op.batch_alter_table("companies") as batch:
        batch.add_column(
            sa.Column("mock_staging", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("environment", sa.String(10), nullable=False, server_default="production")
        )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("mock", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("mock")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("environment")
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("mock_staging")
    op.drop_table("webhook_samples")
