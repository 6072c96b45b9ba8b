"""Server-side sessions: recorded at sign-in, checked on each request through a short-lived
per-process cache, ended at sign-out, by an admin or by the operator, and expired when idle or
too old.

Ending a session is seen at once by the process that ended it and by other processes once
their cached entry is older than `cache_seconds`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.service.actors import Actor
from hooksmith.service.caching import keep
from hooksmith.service.cookies import SessionData
from hooksmith.service.errors import Forbidden, NotFound
from hooksmith.store import TenantRepository
from hooksmith.store.models import SessionRow, utcnow
from hooksmith.store.sessions import SessionRepository

TOUCH_EVERY = 60.0  # seconds between writes of a session's last_seen_at


class SessionView(BaseModel):
    """One of a person's live sessions, as the sessions page lists it."""

    created_at: datetime
    last_seen_at: datetime
    address: str
    user_agent: str
    current: bool


@dataclass
class _Live:
    user_id: int
    expires_at: datetime
    last_seen: datetime
    written: datetime
    stored_at: float


class SignedInSessions:
    """The sessions of signed-in people, with a per-process cache in front of the database."""

    def __init__(
        self,
        open_db: async_sessionmaker[AsyncSession],
        *,
        idle_seconds: float,
        max_age: float,
        cache_seconds: float,
        capacity: int = 10_000,
    ) -> None:
        self._open_db = open_db
        self.idle = timedelta(seconds=idle_seconds)
        self.max_age = timedelta(seconds=max_age)
        self.cache_seconds = cache_seconds
        self.capacity = capacity
        # Written often enough that an idle check in another process never ends a live session.
        self.touch_every = timedelta(seconds=min(TOUCH_EVERY, idle_seconds / 4))
        self._live: OrderedDict[str, _Live] = OrderedDict()
        self.announce: Callable[[int], None] | None = None  # tells other processes (notices)

    async def start(
        self, db: AsyncSession, data: SessionData, *, user_agent: str, address: str
    ) -> None:
        """Record a new session at sign-in (and drop the user's ended ones)."""
        now = utcnow()
        repository = SessionRepository(db)
        await repository.delete_expired(data.user_id, now=now, idle_since=now - self.idle)
        await repository.create(
            SessionRow(
                id=data.session_id,
                user_id=data.user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + self.max_age,
                user_agent=user_agent[:300],
                address=address[:64],
            )
        )
        await db.commit()

    async def check(self, data: SessionData) -> bool:
        """Whether the session in a valid cookie is still live; marks it as seen now."""
        now = utcnow()
        entry = self._cached(data.session_id)
        if entry is None:
            async with self._open_db() as db:
                row = await SessionRepository(db).get(data.session_id)
            if row is None:
                return False
            entry = _Live(
                user_id=row.user_id,
                expires_at=row.expires_at,
                last_seen=row.last_seen_at,
                written=row.last_seen_at,
                stored_at=time.monotonic(),
            )
            self._remember(data.session_id, entry)
        if entry.user_id != data.user_id:
            return False
        if now >= entry.expires_at or now - entry.last_seen > self.idle:
            await self.end(data.session_id)
            return False
        entry.last_seen = now
        if now - entry.written >= self.touch_every:
            entry.written = now
            async with self._open_db() as db:
                await SessionRepository(db).touch(data.session_id, now)
                await db.commit()
        return True

    async def end(self, session_id: str) -> None:
        """End one session (sign-out)."""
        entry = self._live.pop(session_id, None)
        async with self._open_db() as db:
            await SessionRepository(db).delete(session_id)
            await db.commit()
        if entry is not None and self.announce is not None:
            self.announce(entry.user_id)

    async def end_for_user(self, db: AsyncSession, user_id: int) -> int:
        """End every session of a user; returns how many were live or recorded."""
        ended = await SessionRepository(db).delete_for_user(user_id)
        await db.commit()
        self.forget_user(user_id)
        if self.announce is not None:
            self.announce(user_id)
        return ended

    def forget_user(self, user_id: int) -> None:
        for key, entry in list(self._live.items()):
            if entry.user_id == user_id:
                del self._live[key]

    async def list_for_user(self, db: AsyncSession, data: SessionData) -> list[SessionView]:
        """The signed-in person's live sessions, the current one marked."""
        now = utcnow()
        rows = await SessionRepository(db).list_for_user(
            data.user_id, now=now, idle_since=now - self.idle
        )
        views = []
        for row in rows:
            current = row.id == data.session_id
            views.append(
                SessionView(
                    created_at=row.created_at,
                    last_seen_at=now if current else row.last_seen_at,
                    address=row.address,
                    user_agent=row.user_agent,
                    current=current,
                )
            )
        return views

    def _cached(self, session_id: str) -> _Live | None:
        entry = self._live.get(session_id)
        if entry is None:
            return None
        if time.monotonic() - entry.stored_at > self.cache_seconds:
            del self._live[session_id]
            return None
        return entry

    def _remember(self, session_id: str, entry: _Live) -> None:
        keep(self._live, session_id, entry, self.capacity)


async def end_user_sessions(
    db: AsyncSession, actor: Actor, user_id: int, signed_in: SignedInSessions
) -> int:
    """An admin ends every session of a user of their agency or companies (404 for others)."""
    if not actor.is_admin:
        raise Forbidden("only administrators may end other users' sessions")
    user = await SessionRepository(db).user_in(actor.scope, user_id, agency_id=actor.agency_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return await signed_in.end_for_user(db, user.id)


async def end_sessions_by_email(db: AsyncSession, email: str) -> int:
    """The operator ends every session of the user with this email; returns how many."""
    found = await TenantRepository(db).user_by_email(email)
    if found is None:
        raise NotFound(f"email: no user {email!r}", field="email")
    ended = await SessionRepository(db).delete_for_user(found.id)
    await db.commit()
    return ended
