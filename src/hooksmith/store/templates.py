"""The template repository: stored webhook templates, their versions, and webhook origins.

A template belongs to one agency or one company; which ones a caller sees is decided by the
agency and the companies passed in (see `visible`). Origins are read through the webhook's
company scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store.models import (
    WebhookOriginRow,
    WebhookRow,
    WebhookTemplateRow,
    WebhookTemplateVersionRow,
    utcnow,
)
from hooksmith.store.scope import Scope


def _visible(agency_ids: Sequence[int], company_ids: Sequence[int]) -> ColumnElement[bool]:
    """Templates of any of `agency_ids` (agency-wide) or of any of `company_ids`."""
    parts: list[ColumnElement[bool]] = []
    if agency_ids:
        parts.append(WebhookTemplateRow.agency_id.in_(sorted(set(agency_ids))))
    if company_ids:
        parts.append(WebhookTemplateRow.company_id.in_(sorted(set(company_ids))))
    return or_(*parts) if parts else false()


class TemplateRepository:
    """Stored templates seen through the agencies and companies a caller may see."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list(
        self, agency_ids: Sequence[int], company_ids: Sequence[int]
    ) -> Sequence[WebhookTemplateRow]:
        """Every template of those agencies and companies, by name."""
        rows = await self.db.scalars(
            select(WebhookTemplateRow)
            .where(_visible(agency_ids, company_ids))
            .order_by(WebhookTemplateRow.name, WebhookTemplateRow.id)
        )
        return rows.all()

    async def get(
        self, agency_ids: Sequence[int], company_ids: Sequence[int], template_id: int
    ) -> WebhookTemplateRow | None:
        """The template, or None when it does not exist or belongs to no one given."""
        statement = select(WebhookTemplateRow).where(
            WebhookTemplateRow.id == template_id, _visible(agency_ids, company_ids)
        )
        return (await self.db.scalars(statement)).first()

    async def add(
        self,
        *,
        agency_id: int | None,
        company_id: int | None,
        name: str,
        description: str,
        definition: dict[str, Any],
        user_id: int | None,
    ) -> WebhookTemplateRow:
        """A new template at version 1, its first version kept."""
        now = utcnow()
        row = WebhookTemplateRow(
            agency_id=agency_id,
            company_id=company_id,
            name=name,
            description=description,
            version=1,
            definition=definition,
            created_at=now,
            updated_at=now,
            created_by=user_id,
            updated_by=user_id,
        )
        self.db.add(row)
        await self.db.flush()
        await self._keep(row, user_id)
        return row

    async def new_version(
        self,
        row: WebhookTemplateRow,
        *,
        name: str,
        description: str,
        definition: dict[str, Any],
        user_id: int | None,
    ) -> WebhookTemplateRow:
        """Save `definition` as the template's next version (the caller read `row` in scope)."""
        row.name = name
        row.description = description
        row.definition = definition
        row.version = row.version + 1
        row.updated_at = utcnow()
        row.updated_by = user_id
        await self.db.flush()
        await self._keep(row, user_id)
        return row

    async def version(self, template_id: int, version: int) -> WebhookTemplateVersionRow | None:
        """One kept version of a template (the caller read the template in scope)."""
        statement = select(WebhookTemplateVersionRow).where(
            WebhookTemplateVersionRow.template_id == template_id,
            WebhookTemplateVersionRow.version == version,
        )
        return (await self.db.scalars(statement)).first()

    async def delete(self, row: WebhookTemplateRow) -> None:
        """Delete the template and its versions; webhooks made from it stay as they are, no
        longer linked to it (so an id used again never links them to another template)."""
        await self.db.execute(
            delete(WebhookOriginRow).where(WebhookOriginRow.template == str(row.id))
        )
        await self.db.execute(
            delete(WebhookTemplateVersionRow).where(WebhookTemplateVersionRow.template_id == row.id)
        )
        await self.db.delete(row)
        await self.db.flush()

    async def origin(self, scope: Scope, webhook_id: int) -> WebhookOriginRow | None:
        """The template a webhook in `scope` was made from, if any."""
        statement = (
            select(WebhookOriginRow)
            .join(WebhookRow, WebhookRow.id == WebhookOriginRow.webhook_id)
            .where(
                WebhookOriginRow.webhook_id == webhook_id, scope.condition(WebhookRow.company_id)
            )
        )
        return (await self.db.scalars(statement)).first()

    async def set_origin(self, webhook_id: int, template: str, version: int) -> None:
        """Record (or move) the template and version a webhook has taken."""
        row = await self.db.get(WebhookOriginRow, webhook_id)
        if row is None:
            self.db.add(
                WebhookOriginRow(webhook_id=webhook_id, template=template, template_version=version)
            )
        else:
            row.template = template
            row.template_version = version
        await self.db.flush()

    async def _keep(self, row: WebhookTemplateRow, user_id: int | None) -> None:
        self.db.add(
            WebhookTemplateVersionRow(
                template_id=row.id,
                version=row.version,
                definition=row.definition,
                created_at=row.updated_at,
                created_by=user_id,
            )
        )
        await self.db.flush()
