"""A webhook's runs by time carry the columns the charts aggregate, so the charts and the list's
sparklines read the index alone, never the runs' stored results.

The index replaces `ix_runs_webhook_id_created_at`, whose columns it starts with.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 00:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = [
    "webhook_id",
    "created_at",
    "status",
    "company_id",
    "ok",
    "error_kind",
    "http_status",
    "duration_ms",
]


def upgrade() -> None:
    op.create_index("ix_runs_webhook_figures", "runs", COLUMNS)
    op.drop_index("ix_runs_webhook_id_created_at", table_name="runs")


def downgrade() -> None:
    op.create_index("ix_runs_webhook_id_created_at", "runs", ["webhook_id", "created_at"])
    op.drop_index("ix_runs_webhook_figures", table_name="runs")
