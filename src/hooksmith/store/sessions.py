"""The sessions of signed-in people: created at sign-in, read on a cache miss, ended by id or by
user."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store.models import SessionRow, User
from hooksmith.store.scope import Scope


class SessionRepository:
    """Queries on the `sessions` table."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def create(self, row: SessionRow) -> SessionRow:
        self.db.add(row)
        await self.db.flush()
        return row

    async def get(self, session_id: str) -> SessionRow | None:
        return await self.db.get(SessionRow, session_id)

    async def touch(self, session_id: str, at: datetime) -> None:
        statement = update(SessionRow).where(SessionRow.id == session_id).values(last_seen_at=at)
        await self.db.execute(statement)

    async def delete(self, session_id: str) -> None:
        await self.db.execute(delete(SessionRow).where(SessionRow.id == session_id))

    async def delete_for_user(self, user_id: int) -> int:
        """End every session of a user; returns how many there were."""
        result = await self.db.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_expired(self, user_id: int, *, now: datetime, idle_since: datetime) -> None:
        """Drop a user's sessions past their absolute expiry or idle since `idle_since`."""
        statement = delete(SessionRow).where(
            SessionRow.user_id == user_id,
            or_(SessionRow.expires_at <= now, SessionRow.last_seen_at < idle_since),
        )
        await self.db.execute(statement)

    async def list_for_user(
        self, user_id: int, *, now: datetime, idle_since: datetime
    ) -> Sequence[SessionRow]:
        """A user's live sessions, most recently seen first."""
        statement = (
            select(SessionRow)
            .where(
                SessionRow.user_id == user_id,
                SessionRow.expires_at > now,
                SessionRow.last_seen_at >= idle_since,
            )
            .order_by(SessionRow.last_seen_at.desc(), SessionRow.created_at.desc())
        )
        return (await self.db.scalars(statement)).all()

    async def user_in(self, scope: Scope, user_id: int, *, agency_id: int | None) -> User | None:
        """The user with this id when it is a company user in `scope` or a user of `agency_id`."""
        condition = scope.condition(User.company_id)
        if agency_id is not None:
            condition = condition | (User.agency_id == agency_id)
        statement = select(User).where(User.id == user_id, condition)
        return (await self.db.scalars(statement)).first()
