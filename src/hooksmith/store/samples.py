"""The sample repository: one sample answer per webhook, and what a mocked execute reads.

See docs/design.md#mock-answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store.models import Company, WebhookRow, WebhookSampleRow, utcnow
from hooksmith.store.scope import Scope


@dataclass(frozen=True)
class MockState:
    """What a staging execute needs: whether the company mocks, and the webhook's sample."""

    mock: bool
    sample: WebhookSampleRow | None


class SampleRepository:
    """Sample answers, read and written through a `Scope` on their webhook's company."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, scope: Scope, webhook_id: int) -> WebhookSampleRow | None:
        """The webhook's sample, or None (no sample, no such webhook, or out of scope)."""
        statement = (
            select(WebhookSampleRow)
            .join(WebhookRow, WebhookRow.id == WebhookSampleRow.webhook_id)
            .where(WebhookSampleRow.webhook_id == webhook_id)
        )
        return (await self.db.scalars(scope.apply(statement, WebhookRow.company_id))).first()

    async def put(
        self,
        webhook_id: int,
        *,
        status: int,
        headers: list[dict[str, str]],
        body: str,
        source: str,
        run_id: str | None,
        user_id: int | None,
    ) -> WebhookSampleRow:
        """Store the webhook's sample, replacing the one it had (the caller checked scope)."""
        values: dict[str, Any] = {
            "status": status,
            "headers": headers,
            "body": body,
            "source": source,
            "run_id": run_id,
            "updated_at": utcnow(),
            "updated_by": user_id,
        }
        row = await self.db.get(WebhookSampleRow, webhook_id)
        if row is None:
            row = WebhookSampleRow(webhook_id=webhook_id, **values)
            self.db.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        await self.db.flush()
        return row

    async def delete(self, webhook_id: int) -> bool:
        """Forget the webhook's sample (the caller checked scope); False when it had none."""
        changed = await self.db.execute(
            delete(WebhookSampleRow).where(WebhookSampleRow.webhook_id == webhook_id)
        )
        return bool(getattr(changed, "rowcount", 0))

    async def mock_state(self, company_id: int, webhook_id: int) -> MockState:
        """The company's mock switch and the webhook's sample, in one query."""
        statement = (
            select(Company.mock_staging, WebhookSampleRow)
            .select_from(Company)
            .outerjoin(WebhookSampleRow, WebhookSampleRow.webhook_id == webhook_id)
            .where(Company.id == company_id)
        )
        found = (await self.db.execute(statement)).first()
        if found is None:
            return MockState(mock=False, sample=None)
        return MockState(mock=bool(found[0]), sample=found[1])

    async def sample_of(self, webhook_id: int) -> WebhookSampleRow | None:
        """The webhook's sample for a worker (no tenant scope: workers act for all)."""
        return await self.db.get(WebhookSampleRow, webhook_id)

    async def set_mock_switch(self, company_id: int, on: bool) -> None:
        """Turn the company's mock switch for staging tokens on or off."""
        await self.db.execute(
            update(Company).where(Company.id == company_id).values(mock_staging=on)
        )
