"""The roll of server processes sharing the database: heartbeats and who is alive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store.models import ServerRow


class ServerRepository:
    """Heartbeats of server processes; a process silent past a cut-off is no longer counted."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def beat(self, server_id: str, now: datetime) -> None:
        """Record that `server_id` is alive at `now`."""
        changed = await self.db.execute(
            update(ServerRow).where(ServerRow.id == server_id).values(heartbeat_at=now)
        )
        if not getattr(changed, "rowcount", 0):
            self.db.add(ServerRow(id=server_id, heartbeat_at=now))
        await self.db.flush()

    async def alive(self, since: datetime) -> int:
        """How many servers beat since `since` (at least the caller, which just did)."""
        count = await self.db.scalar(
            select(func.count()).select_from(ServerRow).where(ServerRow.heartbeat_at >= since)
        )
        return max(1, count or 0)

    async def forget(self, server_id: str | None = None, *, before: datetime | None = None) -> None:
        """Drop one server (it stopped) or every server silent since before `before`."""
        statement = delete(ServerRow)
        if server_id is not None:
            statement = statement.where(ServerRow.id == server_id)
        if before is not None:
            statement = statement.where(ServerRow.heartbeat_at < before)
        await self.db.execute(statement)
