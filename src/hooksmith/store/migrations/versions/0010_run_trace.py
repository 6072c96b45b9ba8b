"""An asynchronous run keeps the bot's W3C trace context, so its worker passes the trace on.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("traceparent", sa.String(55), nullable=True))
        batch.add_column(sa.Column("tracestate", sa.String(512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("tracestate")
        batch.drop_column("traceparent")
