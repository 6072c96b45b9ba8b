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

# Every field of a webhook has a column of its own name, but the company (a foreign key) and
# the auth (its type, user name and encrypted secret); a new field needs its column, nothing more.
PLAIN_FIELDS: tuple[str, ...] = tuple(
    name for name in Webhook.model_fields if name not in {"company", "auth"}
)


def definition_columns(webhook: Webhook) -> dict[str, Any]:
    """The columns that hold `webhook` (every field of a webhook but the company and secret)."""
    data = webhook.to_data()
    auth = data["auth"]
    plain = {name: data[name] for name in PLAIN_FIELDS}
    options = {
        name: value
        for name, value in auth.items()
        if name not in {"type", "username", SECRET_FIELDS.get(auth["type"])}
    }
    return plain | {
        "auth_type": auth["type"],
        "auth_username": auth.get("username"),
        "auth_options": options or None,
    }


def stored_auth(row: WebhookRow) -> dict[str, Any]:
    """The auth a row holds, without its secret (as a revision keeps it)."""
    auth: dict[str, Any] = {"type": row.auth_type}
    if row.auth_type == "basic":
        auth["username"] = row.auth_username
    return auth | (row.auth_options or {})


def to_definition(row: WebhookRow, secret: str | None) -> Webhook:
    """The `Webhook` a row holds, with `secret` as its auth secret.

    A row with auth and `secret=None` yields the withheld stand-in: the shape of the auth without
    its value, for views that must not hold it.
    """
    auth = stored_auth(row)
    field = SECRET_FIELDS.get(row.auth_type)
    if field is not None:
        auth[field] = secret or WITHHELD_SECRET
    data: dict[str, Any] = {name: getattr(row, name) for name in PLAIN_FIELDS}
    data["company"] = row.company.slug
    return parse_webhook(data | {"auth": auth})


class WebhookRepository:
    """Stored webhooks, always read through a `Scope`; secrets are encrypted by `box`."""

    def __init__(self, session: AsyncSession, box: SecretBox) -> None:
        self.session = session
        self.box = box

    async def get(self, scope: Scope, webhook_id: int) -> WebhookRow | None:
        """The webhook, or None when it does not exist or lies outside `scope`."""
        statement = scope.apply(
            select(WebhookRow).where(WebhookRow.id == webhook_id), WebhookRow.company_id
        )
        return (await self.session.scalars(statement)).first()

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
        total = await self.session.scalar(
            select(func.count()).select_from(WebhookRow).where(*conditions)
        )
        rows = await self.session.scalars(
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
        company = await self.session.get(Company, company_id)
        if company is None:
            raise NotFound(f"company: no company with id {company_id}")
        row = WebhookRow(
            company=company,
            revision=1,
            created_by=user_id,
            updated_by=user_id,
            **definition_columns(webhook),
        )
        self.session.add(row)
        await self.session.flush()
        # The ciphertext is bound to the row's id, known only once the row is inserted.
        row.auth_secret_ciphertext = self._seal(webhook, company_id, row.id)
        await self.session.flush()
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
        if not scope.allows(target) or await self.session.get(Company, target) is None:
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
        outcome = await self.session.execute(statement.execution_options(synchronize_session=False))
        if getattr(outcome, "rowcount", 0) == 0:
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
        outcome = await self.session.execute(statement)
        return bool(getattr(outcome, "rowcount", 0))

    async def clear_secret(self, scope: Scope, webhook_id: int) -> bool:
        """Forget the stored auth secret (the auth type stays); False when outside `scope`."""
        statement = scope.apply(
            update(WebhookRow).where(WebhookRow.id == webhook_id), WebhookRow.company_id
        ).values(auth_secret_ciphertext=None)
        outcome = await self.session.execute(statement.execution_options(synchronize_session=False))
        return bool(getattr(outcome, "rowcount", 0))

    async def revision_of(self, scope: Scope, webhook_id: int) -> tuple[int, int] | None:
        """The webhook's (revision, company id), a cheap check whether a cached copy is current."""
        statement = select(WebhookRow.revision, WebhookRow.company_id).where(
            WebhookRow.id == webhook_id, scope.condition(WebhookRow.company_id)
        )
        found = (await self.session.execute(statement)).first()
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
        rows = await self.session.scalars(
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
        await self.session.flush()
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
        return (await self.session.scalars(statement)).first()
