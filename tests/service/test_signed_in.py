"""Server-side sessions in the service: absolute expiry, the cache window, the last-seen writes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.service.cookies import SessionCodec
from hooksmith.service.signed_in import SignedInSessions
from hooksmith.store import TenantRepository
from hooksmith.store.models import SessionRow, utcnow
from tests.database import Tenants


async def _user(db: AsyncSession, tenants: Tenants) -> int:
    user = await TenantRepository(db).create_user(
        "ana@acme.test", "a long enough password", company_id=tenants.acme.id
    )
    await db.commit()
    return user.id


def _kept(open_db: async_sessionmaker[AsyncSession], cache_seconds: float) -> SignedInSessions:
    return SignedInSessions(open_db, idle_seconds=3600, max_age=86400, cache_seconds=cache_seconds)


async def test_a_session_past_its_absolute_expiry_ends_and_is_deleted(
    open_db: async_sessionmaker[AsyncSession], db: AsyncSession, tenants: Tenants
) -> None:
    kept = _kept(open_db, cache_seconds=0)
    _, data = SessionCodec("secret", max_age=60).issue(await _user(db, tenants))
    await kept.start(db, data, user_agent="test", address="127.0.0.1")
    assert await kept.check(data)

    past = utcnow() - timedelta(seconds=1)
    await db.execute(
        update(SessionRow).where(SessionRow.id == data.session_id).values(expires_at=past)
    )
    await db.commit()
    assert not await kept.check(data)
    async with open_db() as fresh:
        assert await fresh.get(SessionRow, data.session_id) is None


async def test_the_cache_answers_within_its_window_and_the_token_is_not_stored(
    open_db: async_sessionmaker[AsyncSession], db: AsyncSession, tenants: Tenants
) -> None:
    kept = _kept(open_db, cache_seconds=3600)
    user_id = await _user(db, tenants)
    _, data = SessionCodec("secret", max_age=60).issue(user_id)
    await kept.start(db, data, user_agent="test", address="127.0.0.1")
    assert await kept.check(data)
    async with open_db() as other_process:
        row = await other_process.get(SessionRow, data.session_id)
        assert row is not None
        assert data.token not in (row.id, row.user_agent, row.address)
        await other_process.delete(row)
        await other_process.commit()
    assert await kept.check(data)  # cached: another process's end shows after the window
    assert await kept.end_for_user(db, user_id) == 0
    assert not await kept.check(data)  # ended here: seen at once


async def test_a_cookie_of_another_user_does_not_match_the_record(
    open_db: async_sessionmaker[AsyncSession], db: AsyncSession, tenants: Tenants
) -> None:
    kept = _kept(open_db, cache_seconds=0)
    _, data = SessionCodec("secret", max_age=60).issue(await _user(db, tenants))
    await kept.start(db, data, user_agent="", address="")
    forged = type(data)(user_id=data.user_id + 1, csrf_token=data.csrf_token, token=data.token)
    assert not await kept.check(forged)
    assert await kept.check(data)
