"""The revision repository: each saved definition of a webhook, kept with who and when.

A revision holds the webhook's stored definition as saved (`stored_definition`), the company's
slug and whether an auth secret was set; never the secret itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store.models import User, WebhookRevisionRow, WebhookRow
from hooksmith.store.scope import Scope

# Revisions are seen through their webhook's company now (a webhook may have moved).
_WEBHOOK = WebhookRow.id == WebhookRevisionRow.webhook_id


def revision_definition(row: WebhookRow) -> dict[str, Any]:
    """The definition a webhook row holds now, as a revision keeps it (no secret)."""
    return row.definition | {"company": row.company.slug}


class RevisionRepository:
    """Kept revisions of webhooks, always read through a `Scope` on the webhook's company."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def record(self, row: WebhookRow, *, user_id: int | None) -> WebhookRevisionRow:
        """Keep `row` as it is now as its current revision."""
        kept = WebhookRevisionRow(
            webhook_id=row.id,
            revision=row.revision,
            definition=revision_definition(row),
            secret_set=row.auth_secret_ciphertext is not None,
            created_at=row.updated_at,
            created_by=user_id,
        )
        self.db.add(kept)
        await self.db.flush()
        return kept

    async def list(
        self, scope: Scope, webhook_id: int, *, offset: int = 0, limit: int = 50
    ) -> tuple[Sequence[tuple[WebhookRevisionRow, str | None]], int]:
        """One page of a webhook's revisions, newest first, each with its author's email."""
        condition = (WebhookRevisionRow.webhook_id == webhook_id) & scope.condition(
            WebhookRow.company_id
        )
        total = await self.db.scalar(
            select(func.count())
            .select_from(WebhookRevisionRow)
            .join(WebhookRow, _WEBHOOK)
            .where(condition)
        )
        rows = await self.db.execute(
            select(WebhookRevisionRow, User.email)
            .join(WebhookRow, _WEBHOOK)
            .outerjoin(User, User.id == WebhookRevisionRow.created_by)
            .where(condition)
            .order_by(WebhookRevisionRow.revision.desc())
            .offset(offset)
            .limit(limit)
        )
        return [(kept, email) for kept, email in rows.all()], total or 0

    async def get(
        self, scope: Scope, webhook_id: int, revision: int
    ) -> tuple[WebhookRevisionRow, str | None] | None:
        """One revision of a webhook and its author's email, or None (absent or out of scope)."""
        statement = (
            select(WebhookRevisionRow, User.email)
            .join(WebhookRow, _WEBHOOK)
            .outerjoin(User, User.id == WebhookRevisionRow.created_by)
            .where(
                WebhookRevisionRow.webhook_id == webhook_id,
                WebhookRevisionRow.revision == revision,
                scope.condition(WebhookRow.company_id),
            )
        )
        found = (await self.db.execute(statement)).first()
        return None if found is None else (found[0], found[1])
