"""The webhook cache: no query once warm, saves here seen at once, elsewhere within max_age."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.service.cache import WebhookCache
from hooksmith.store import Scope, SecretBox, WebhookRepository
from tests.api.helpers import eventually
from tests.database import Tenants
from tests.factories import make_webhook


async def _add(open_db: async_sessionmaker[AsyncSession], box: SecretBox, company: int) -> int:
    async with open_db() as db:
        row = await WebhookRepository(db, box).add(
            company, make_webhook(auth={"type": "bearer", "token": "cached-token"})
        )
        await db.commit()
        return row.id


async def _rename(
    open_db: async_sessionmaker[AsyncSession], box: SecretBox, webhook_id: int, revision: int
) -> None:
    async with open_db() as db:
        await WebhookRepository(db, box).update(
            Scope.everything(),
            webhook_id,
            make_webhook(name=f"rev {revision + 1}", auth={"type": "bearer", "token": "t2"}),
            expected_revision=revision,
        )
        await db.commit()


async def test_a_warm_entry_needs_no_query(
    open_db: async_sessionmaker[AsyncSession],
    secret_box: SecretBox,
    tenants: Tenants,
    statements: list[str],
) -> None:
    webhook_id = await _add(open_db, secret_box, tenants.acme.id)
    cache = WebhookCache(open_db, secret_box, max_age=60)
    first = await cache.get(tenants.scope(tenants.acme), webhook_id)
    assert first is not None
    assert first.webhook.secrets() == ["cached-token"]
    statements.clear()
    again = await cache.get(tenants.scope(tenants.acme, tenants.bolt), webhook_id)
    assert again is first
    assert await cache.get(tenants.scope(tenants.cobalt), webhook_id) is None
    assert statements == []


async def test_a_foreign_scope_does_not_load_the_webhook(
    open_db: async_sessionmaker[AsyncSession], secret_box: SecretBox, tenants: Tenants
) -> None:
    webhook_id = await _add(open_db, secret_box, tenants.acme.id)
    cache = WebhookCache(open_db, secret_box, max_age=60)
    assert await cache.get(tenants.scope(tenants.cobalt), webhook_id) is None
    assert await cache.get(tenants.scope(tenants.acme), webhook_id) is not None


async def test_invalidate_makes_a_save_visible_at_once(
    open_db: async_sessionmaker[AsyncSession], secret_box: SecretBox, tenants: Tenants
) -> None:
    webhook_id = await _add(open_db, secret_box, tenants.acme.id)
    cache = WebhookCache(open_db, secret_box, max_age=60)
    scope = tenants.scope(tenants.acme)
    assert (await cache.get(scope, webhook_id)) is not None
    await _rename(open_db, secret_box, webhook_id, 1)
    stale = await cache.get(scope, webhook_id)
    assert stale is not None
    assert stale.revision == 1
    cache.invalidate(webhook_id)
    fresh = await cache.get(scope, webhook_id)
    assert fresh is not None
    assert (fresh.revision, fresh.webhook.name) == (2, "rev 2")


async def test_saves_of_other_processes_are_seen_after_max_age(
    open_db: async_sessionmaker[AsyncSession],
    secret_box: SecretBox,
    tenants: Tenants,
    statements: list[str],
) -> None:
    webhook_id = await _add(open_db, secret_box, tenants.acme.id)
    cache = WebhookCache(open_db, secret_box, max_age=0.05)
    scope = tenants.scope(tenants.acme)
    assert await cache.get(scope, webhook_id) is not None

    async def revalidated_cheaply() -> bool:
        statements.clear()
        found = await cache.get(scope, webhook_id)
        return found is not None and len(statements) == 1

    await eventually(revalidated_cheaply)
    await _rename(open_db, secret_box, webhook_id, 1)

    async def renamed() -> bool:
        found = await cache.get(scope, webhook_id)
        return found is not None and found.webhook.name == "rev 2"

    await eventually(renamed, timeout=2)


async def test_a_deleted_webhook_leaves_the_cache(
    open_db: async_sessionmaker[AsyncSession], secret_box: SecretBox, tenants: Tenants
) -> None:
    webhook_id = await _add(open_db, secret_box, tenants.acme.id)
    cache = WebhookCache(open_db, secret_box, max_age=0)
    scope = tenants.scope(tenants.acme)
    assert await cache.get(scope, webhook_id) is not None
    async with open_db() as db:
        await WebhookRepository(db, secret_box).delete(scope, webhook_id)
        await db.commit()
    assert await cache.get(scope, webhook_id) is None
