"""The webhook cache of the live path: executing a warm webhook asks the database nothing."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import Webhook
from hooksmith.store import (
    Scope,
    SecretBox,
    SecretUnreadable,
    WebhookRepository,
    to_definition,
)
from hooksmith.store.models import WebhookRow


@dataclass(frozen=True)
class ReadyWebhook:
    """A stored webhook ready to execute: its definition with the secret, or why it cannot run."""

    id: int
    company_id: int
    revision: int
    webhook: Webhook
    missing_secret: str | None = None


def ready(repository: WebhookRepository, row: WebhookRow) -> ReadyWebhook:
    """The executable form of `row`; a missing or unreadable secret is named, not raised."""
    field = {"basic": "auth.password", "bearer": "auth.token"}.get(row.auth_type)
    try:
        secret = repository.secret(row)
    except SecretUnreadable:
        secret = None
    missing = field if field is not None and secret is None else None
    webhook = repository.definition(row) if missing is None else _shape_only(row)
    return ReadyWebhook(row.id, row.company_id, row.revision, webhook, missing)


def _shape_only(row: WebhookRow) -> Webhook:
    return to_definition(row, None)


class WebhookCache:
    """Webhooks by id for the execute path.

    A save in this process calls `invalidate` and is seen at once; an entry older than
    `max_age` seconds is revalidated with a one-column revision check (reloaded only when it
    changed), so saves made by other processes are seen within `max_age` seconds.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        *,
        max_age: float,
        capacity: int = 10_000,
    ) -> None:
        self.sessions = sessions
        self.box = box
        self.max_age = max_age
        self.capacity = capacity
        self._entries: OrderedDict[int, tuple[float, ReadyWebhook]] = OrderedDict()

    async def get(self, scope: Scope, webhook_id: int) -> ReadyWebhook | None:
        """The webhook if `scope` reaches it, else None (as for a webhook that does not exist)."""
        entry = self._entries.get(webhook_id)
        if entry is not None:
            checked_at, found = entry
            if not scope.allows(found.company_id):
                return None
            if time.monotonic() - checked_at <= self.max_age:
                return found
            return await self._revalidate(scope, found)
        return await self._load(scope, webhook_id)

    def invalidate(self, webhook_id: int) -> None:
        self._entries.pop(webhook_id, None)

    def clear(self) -> None:
        self._entries.clear()

    async def _revalidate(self, scope: Scope, cached: ReadyWebhook) -> ReadyWebhook | None:
        async with self.sessions() as session:
            current = await WebhookRepository(session, self.box).revision_of(
                Scope.everything(), cached.id
            )
        if current is None:
            self.invalidate(cached.id)
            return None
        if current == (cached.revision, cached.company_id):
            self._store(cached)
            return cached
        return await self._load(scope, cached.id)

    async def _load(self, scope: Scope, webhook_id: int) -> ReadyWebhook | None:
        async with self.sessions() as session:
            repository = WebhookRepository(session, self.box)
            row = await repository.get(scope, webhook_id)
            if row is None:
                self.invalidate(webhook_id)
                return None
            found = ready(repository, row)
        self._store(found)
        return found

    def _store(self, found: ReadyWebhook) -> None:
        self._entries[found.id] = (time.monotonic(), found)
        self._entries.move_to_end(found.id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
