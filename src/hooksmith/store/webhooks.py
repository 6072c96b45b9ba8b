"""The webhook repository: tenant-scoped queries on stored webhooks, and rows ↔ `Webhook`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import SECRET_FIELDS, WITHHELD_SECRET, Webhook, auth_secret, parse_webhook
from hooksmith.store.errors import NotFound, RevisionConflict
from hooksmith.store.models import Company, WebhookRow, utcnow
from hooksmith.store.scope import Scope
from hooksmith.store.secrets import SecretBox


def stored_definition(webhook: Webhook) -> dict[str, Any]:
    """What the `definition` column keeps of `webhook`: every field but the company and the auth
    secret, which is encrypted apart (`auth_secret`).

    >>> from hooksmith.engine import parse_webhook
    >>> hook = parse_webhook({"name": "n", "company": "acme", "url": "https://x.test",
    ...     "auth": {"type": "bearer", "token": "s3cret"}})
    >>> kept = stored_definition(hook)
    >>> "company" in kept, kept["auth"]
    (False, {'type': 'bearer'})
    """
    data = webhook.to_data()
    del data["company"]
    field = SECRET_FIELDS.get(webhook.auth.type)
    if field is not None:
        data["auth"] = {key: value for key, value in data["auth"].items() if key != field}
    return data


def definition_columns(webhook: Webhook) -> dict[str, Any]:
    """The columns that hold `webhook`: its stored definition and the name it is found by."""
    return {"name": webhook.name, "definition": stored_definition(webhook)}


def to_definition(row: WebhookRow, secret: str | None) -> Webhook:
    """The `Webhook` a row holds, with `secret` as its auth secret.

    A row with auth and `secret=None` yields the withheld stand-in: the shape of the auth without
    its value, for views that must not hold it.
    """
    data = row.definition | {"company": row.company.slug}
    field = SECRET_FIELDS.get(row.auth_type)
    if field is not None:
        data["auth"] = data["auth"] | {field: secret or WITHHELD_SECRET}
    return parse_webhook(data)


class WebhookRepository:
    """Stored webhooks, always read through a `Scope`; secrets are encrypted by `box`."""

    def __init__(self, db: AsyncSession, box: SecretBox) -> None:
        self.db = db
        self.box = box

    async def get(self, scope: Scope, webhook_id: int) -> WebhookRow | None:
        """The webhook, or None when it does not exist or lies outside `scope`."""
        statement = scope.apply(
            select(WebhookRow).where(WebhookRow.id == webhook_id), WebhookRow.company_id
        )
        return (await self.db.scalars(statement)).first()

    async def list(
        self,
        scope: Scope,
        *,
        search: str | None = None,
        company_id: int | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[Sequence[WebhookRow], int]:
        """One page of webhooks by name (case-insensitive substring) and company, and the total."""
        conditions: list[ColumnElement[bool]] = [scope.condition(WebhookRow.company_id)]
        if search:
            conditions.append(func.lower(WebhookRow.name).contains(search.lower(), autoescape=True))
        if company_id is not None:
            conditions.append(WebhookRow.company_id == company_id)
        total = await self.db.scalar(
            select(func.count()).select_from(WebhookRow).where(*conditions)
        )
        rows = await self.db.scalars(
            select(WebhookRow)
            .where(*conditions)
            .order_by(func.lower(WebhookRow.name), WebhookRow.id)
            .offset(offset)
            .limit(limit)
        )
        return rows.all(), total or 0

    async def add(
        self, company_id: int, webhook: Webhook, *, user_id: int | None = None
    ) -> WebhookRow:
        """Store a new webhook of `company_id` at revision 1 (the caller checked the scope)."""
        company = await self.db.get(Company, company_id)
        if company is None:
            raise NotFound(f"company: no company with id {company_id}")
        row = WebhookRow(
            company=company,
            revision=1,
            created_by=user_id,
            updated_by=user_id,
            **definition_columns(webhook),
        )
        self.db.add(row)
        await self.db.flush()
        # The ciphertext is bound to the row's id, known only once the row is inserted.
        row.auth_secret_ciphertext = self._seal(webhook, company_id, row.id)
        await self.db.flush()
        return row

    async def update(
        self,
        scope: Scope,
        webhook_id: int,
        webhook: Webhook,
        *,
        expected_revision: int,
        company_id: int | None = None,
        user_id: int | None = None,
    ) -> WebhookRow | None:
        """Replace the definition if it is still at `expected_revision`, and bump the revision.

        `company_id` moves the webhook to another company, which must be in `scope`. Returns None
        when the webhook is outside `scope`; raises `RevisionConflict` when someone saved first.
        """
        current = await self.get(scope, webhook_id)
        if current is None:
            return None
        target = current.company_id if company_id is None else company_id
        if not scope.allows(target) or await self.db.get(Company, target) is None:
            raise NotFound(f"company: no company with id {target}")
        values = definition_columns(webhook) | {
            "company_id": target,
            "auth_secret_ciphertext": self._seal(webhook, target, webhook_id),
            "revision": WebhookRow.revision + 1,
            "updated_at": utcnow(),
            "updated_by": user_id,
        }
        # One conditional UPDATE: of two concurrent saves at the same revision, one matches.
        statement = scope.apply(
            update(WebhookRow).where(
                WebhookRow.id == webhook_id, WebhookRow.revision == expected_revision
            ),
            WebhookRow.company_id,
        ).values(**values)
        changed = await self.db.execute(statement.execution_options(synchronize_session=False))
        if getattr(changed, "rowcount", 0) == 0:
            fresh = await self._reload(scope, webhook_id)
            if fresh is None:
                return None
            raise RevisionConflict(expected_revision, fresh.revision)
        return await self._reload(scope, webhook_id)

    async def delete(self, scope: Scope, webhook_id: int) -> bool:
        """Delete the webhook and its runs; False when it is outside `scope`."""
        statement = scope.apply(
            delete(WebhookRow).where(WebhookRow.id == webhook_id), WebhookRow.company_id
        )
        changed = await self.db.execute(statement)
        return bool(getattr(changed, "rowcount", 0))

    async def clear_secret(self, scope: Scope, webhook_id: int) -> bool:
        """Forget the stored auth secret (the auth type stays); False when outside `scope`."""
        statement = scope.apply(
            update(WebhookRow).where(WebhookRow.id == webhook_id), WebhookRow.company_id
        ).values(auth_secret_ciphertext=None)
        changed = await self.db.execute(statement.execution_options(synchronize_session=False))
        return bool(getattr(changed, "rowcount", 0))

    async def revision_of(self, scope: Scope, webhook_id: int) -> tuple[int, int] | None:
        """The webhook's (revision, company id), a cheap check whether a cached copy is current."""
        statement = select(WebhookRow.revision, WebhookRow.company_id).where(
            WebhookRow.id == webhook_id, scope.condition(WebhookRow.company_id)
        )
        found = (await self.db.execute(statement)).first()
        return None if found is None else (found[0], found[1])

    def secret(self, row: WebhookRow) -> str | None:
        """The decrypted auth secret of `row` (`SecretUnreadable` if it cannot be read)."""
        if row.auth_secret_ciphertext is None:
            return None
        return self.box.decrypt(
            row.auth_secret_ciphertext, company_id=row.company_id, webhook_id=row.id
        )

    def definition(self, row: WebhookRow) -> Webhook:
        """The `Webhook` of `row` with its secret decrypted, ready to execute."""
        return to_definition(row, self.secret(row))

    async def rotate_secrets(self, scope: Scope) -> int:
        """Re-encrypt the stored secrets in `scope` with the newest key; returns how many."""
        rows = await self.db.scalars(
            scope.apply(
                select(WebhookRow).where(WebhookRow.auth_secret_ciphertext.is_not(None)),
                WebhookRow.company_id,
            )
        )
        count = 0
        for row in rows:
            assert row.auth_secret_ciphertext is not None
            row.auth_secret_ciphertext = self.box.rotate(row.auth_secret_ciphertext)
            count += 1
        await self.db.flush()
        return count

    def _seal(self, webhook: Webhook, company_id: int, webhook_id: int) -> str | None:
        secret = auth_secret(webhook.auth)
        if secret is None:
            return None
        return self.box.encrypt(secret, company_id=company_id, webhook_id=webhook_id)

    async def _reload(self, scope: Scope, webhook_id: int) -> WebhookRow | None:
        statement = scope.apply(
            select(WebhookRow).where(WebhookRow.id == webhook_id), WebhookRow.company_id
        ).execution_options(populate_existing=True)
        return (await self.db.scalars(statement)).first()
