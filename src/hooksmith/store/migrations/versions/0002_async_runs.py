"""Asynchronous runs: stored conversation, attempts, callbacks; the job queue's schema.

On PostgreSQL the procrastinate job queue gets its own schema, `procrastinate`, so its tables,
types and functions stay apart from ours and leave with one `DROP SCHEMA` on downgrade.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.util import await_only

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
QUEUE_SCHEMA = "procrastinate"


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("conversation", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("callback_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("callback_status", sa.String(10), nullable=True))
        batch.add_column(
            sa.Column("callback_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("callback_next_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("callback_expires_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("callback_error", sa.String(500), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("attempts", server_default=None)
        batch.alter_column("callback_attempts", server_default=None)
    op.create_index("ix_runs_callback_status", "runs", ["callback_status"])
    op.create_index("ix_runs_status", "runs", ["status"])
    if op.get_bind().dialect.name == "postgresql":
        _create_queue_schema()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {QUEUE_SCHEMA} CASCADE")
    op.drop_index("ix_runs_status", "runs")
    op.drop_index("ix_runs_callback_status", "runs")
    with op.batch_alter_table("runs") as batch:
        for column in (
            "callback_error",
            "callback_expires_at",
            "callback_next_at",
            "callback_attempts",
            "callback_status",
            "callback_url",
            "attempts",
            "conversation",
        ):
            batch.drop_column(column)


def _create_queue_schema() -> None:
    from procrastinate.schema import SchemaManager

    op.execute(f"CREATE SCHEMA IF NOT EXISTS {QUEUE_SCHEMA}")
    op.execute(f"SET LOCAL search_path TO {QUEUE_SCHEMA}")
    # The schema file holds many statements: run it through the simple query protocol.
    driver = op.get_bind().connection.driver_connection
    assert driver is not None
    await_only(driver.execute(SchemaManager.get_schema()))
    op.execute("SET LOCAL search_path TO DEFAULT")
