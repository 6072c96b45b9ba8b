"""The webhook cache of the live path: executing a warm webhook asks the database nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import SECRET_FIELDS, Webhook
from hooksmith.service.caching import ChangedById
from hooksmith.service.company_values import CompanyValuesCache
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
    secret_field = SECRET_FIELDS.get(row.auth_type)
    field = None if secret_field is None else f"auth.{secret_field}"
    try:
        secret = repository.secret(row)
    except SecretUnreadable:
        secret = None
    missing = field if field is not None and secret is None else None
    webhook = repository.definition(row) if missing is None else _shape_only(row)
    return ReadyWebhook(row.id, row.company_id, row.revision, webhook, missing)


def _shape_only(row: WebhookRow) -> Webhook:
    return to_definition(row, None)


class WebhookCache(ChangedById[ReadyWebhook]):
    """Webhooks by id for the execute path.

    A save in this process calls `invalidate` and is seen at once; an entry older than
    `max_age` seconds is revalidated with a one-column revision check (reloaded only when it
    changed), so saves made by other processes are seen within `max_age` seconds. Concurrent
    misses of one entry share one query (under load an expiry would otherwise send every
    waiting request to the database at once).
    """

    def __init__(
        self,
        open_db: async_sessionmaker[AsyncSession],
        box: SecretBox,
        *,
        max_age: float,
        capacity: int = 10_000,
    ) -> None:
        super().__init__(open_db, box, max_age=max_age, capacity=capacity)
        self._flights: dict[Hashable, asyncio.Future[ReadyWebhook | None]] = {}
        # The companies' secrets and variables, beside the webhooks that name them.
        self.values = CompanyValuesCache(open_db, box, max_age=max_age)

    async def get(self, scope: Scope, webhook_id: int) -> ReadyWebhook | None:
        """The webhook if `scope` reaches it, else None (as for a webhook that does not exist)."""
        entry = self._entries.get(webhook_id)
        if entry is not None:
            checked_at, found = entry
            if not scope.allows(found.company_id):
                return None
            if time.monotonic() - checked_at <= self.max_age:
                return found
            current = await self._shared(("check", webhook_id), lambda: self._revalidate(found))
            if current is not None and scope.allows(current.company_id):
                return current
            return None
        return await self._shared(
            ("load", webhook_id, scope), lambda: self._load(scope, webhook_id)
        )

    def invalidate(self, webhook_id: int) -> None:
        super().invalidate(webhook_id)
        self._flights.clear()

    def clear(self) -> None:
        self._epoch += 1
        self._entries.clear()
        self._flights.clear()

    async def _shared(
        self, key: Hashable, work: Callable[[], Awaitable[ReadyWebhook | None]]
    ) -> ReadyWebhook | None:
        """`work()`, or the result of the same work already under way."""
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = asyncio.ensure_future(work())
            flight.add_done_callback(lambda done: self._land(key, done))
        # A waiter that is cancelled (its client left) must not cancel the others' query.
        return await asyncio.shield(flight)

    def _land(self, key: Hashable, done: asyncio.Future[ReadyWebhook | None]) -> None:
        if self._flights.get(key) is done:
            del self._flights[key]

    async def _revalidate(self, cached: ReadyWebhook) -> ReadyWebhook | None:
        epoch = self._epoch
        async with self.open_db() as db:
            current = await WebhookRepository(db, self.box).revision_of(
                Scope.everything(), cached.id
            )
        if current is None:
            self.invalidate(cached.id)
            return None
        if current == (cached.revision, cached.company_id):
            self._store(cached.id, cached, epoch)
            return cached
        return await self._load(Scope.everything(), cached.id)

    async def _load(self, scope: Scope, webhook_id: int) -> ReadyWebhook | None:
        epoch = self._epoch
        async with self.open_db() as db:
            repository = WebhookRepository(db, self.box)
            row = await repository.get(scope, webhook_id)
            if row is None:
                if scope.system:
                    self.invalidate(webhook_id)
                return None
            found = ready(repository, row)
        self._store(found.id, found, epoch)
        return found
