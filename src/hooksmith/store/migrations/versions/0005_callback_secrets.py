"""Each company signs its callbacks with secrets of its own, rotated with an overlap.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_secrets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("companies.id"), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_callback_secrets_company_id", "callback_secrets", ["company_id"])


def downgrade() -> None:
    op.drop_index("ix_callback_secrets_company_id", table_name="callback_secrets")
    op.drop_table("callback_secrets")
