"""Webhook templates (agency-wide or company-wide) with their versions, and the template each
webhook was made from (a table of its own: the webhooks table is left as it is).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _user(name: str, table: str) -> sa.Column[int]:
    return sa.Column(
        name,
        sa.Integer(),
        sa.ForeignKey("users.id", ondelete="SET NULL", name=f"fk_{table}_{name}_users"),
        nullable=True,
    )


def upgrade() -> None:
    op.create_table(
        "webhook_templates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "agency_id",
            sa.Integer(),
            sa.ForeignKey(
                "agencies.id", ondelete="CASCADE", name="fk_webhook_templates_agency_id_agencies"
            ),
            nullable=True,
        ),
        sa.Column(
            "company_id",
            sa.Integer(),
            sa.ForeignKey(
                "companies.id",
                ondelete="CASCADE",
                name="fk_webhook_templates_company_id_companies",
            ),
            nullable=True,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _user("created_by", "webhook_templates"),
        _user("updated_by", "webhook_templates"),
        sa.CheckConstraint(
            "(agency_id IS NULL) <> (company_id IS NULL)",
            name="ck_webhook_templates_one_tenant",
        ),
    )
    op.create_index("ix_webhook_templates_agency_id", "webhook_templates", ["agency_id"])
    op.create_index("ix_webhook_templates_company_id", "webhook_templates", ["company_id"])
    op.create_table(
        "webhook_template_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "template_id",
            sa.Integer(),
            sa.ForeignKey(
                "webhook_templates.id",
                ondelete="CASCADE",
                name="fk_webhook_template_versions_template_id_webhook_templates",
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _user("created_by", "webhook_template_versions"),
        sa.UniqueConstraint(
            "template_id", "version", name="uq_webhook_template_versions_template_id"
        ),
    )
    op.create_table(
        "webhook_origins",
        sa.Column(
            "webhook_id",
            sa.Integer(),
            sa.ForeignKey(
                "webhooks.id", ondelete="CASCADE", name="fk_webhook_origins_webhook_id_webhooks"
            ),
            primary_key=True,
        ),
        sa.Column("template", sa.String(80), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webhook_origins")
    op.drop_table("webhook_template_versions")
    op.drop_index("ix_webhook_templates_company_id", table_name="webhook_templates")
    op.drop_index("ix_webhook_templates_agency_id", table_name="webhook_templates")
    op.drop_table("webhook_templates")
