"""More kinds of auth: their non-secret fields in `webhooks.auth_options`, and OAuth2 access
tokens shared by the servers (encrypted, by a key that holds no secret, until they expire).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("auth_options", sa.JSON(), nullable=True))
    op.create_table(
        "oauth_tokens",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column(
            "company_id",
            sa.Integer(),
            sa.ForeignKey(
                "companies.id", ondelete="CASCADE", name="fk_oauth_tokens_company_id_companies"
            ),
            nullable=False,
        ),
        sa.Column("token_ciphertext", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("oauth_tokens")
    with op.batch_alter_table("webhooks") as batch:
        batch.drop_column("auth_options")
