"""OAuth2 access tokens shared by the servers (encrypted, by a key that holds no secret, until
they expire). The other fields of the new kinds of auth live in the webhook's definition.

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
