"""Servers sharing one PostgreSQL know how many they are, so each takes its share of limits.

Each server process writes a heartbeat every `every` seconds and counts the servers that beat
within the last three periods; `CompanyLimits.set_servers` then gives this process its share of
every company's rate, burst and concurrency. Nothing is asked of the database on the execute
path. A server that stops deletes its row; one that dies is not counted after three periods.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.service.limits import CompanyLimits
from hooksmith.service.tasks import cancel_and_wait
from hooksmith.store.models import utcnow
from hooksmith.store.servers import ServerRepository

log = logging.getLogger(__name__)


class ServerRoll:
    """This process's heartbeat and the count of live servers, applied to `limits`."""

    def __init__(
        self, open_db: async_sessionmaker[AsyncSession], limits: CompanyLimits, *, every: float
    ) -> None:
        self.open_db = open_db
        self.limits = limits
        self.every = every
        self.id = uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Beat once now (so the share is right from the first request), then keep beating."""
        await self.beat()
        self._task = asyncio.create_task(self._loop(), name="hooksmith-server-roll")

    async def beat(self) -> int:
        """Record this server's heartbeat and take its share; returns the live servers."""
        now = utcnow()
        async with self.open_db() as db:
            servers = ServerRepository(db)
            await servers.beat(self.id, now)
            await servers.forget(before=now - timedelta(seconds=10 * self.every))
            alive = await servers.alive(now - timedelta(seconds=3 * self.every))
            await db.commit()
        if alive != self.limits.servers:
            log.info("%d servers share the per-company limits", alive)
        self.limits.set_servers(alive)
        return alive

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        with contextlib.suppress(Exception):  # a database gone at shutdown: the row times out
            async with self.open_db() as db:
                await ServerRepository(db).forget(self.id)
                await db.commit()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.beat()
            except Exception:
                log.exception("server heartbeat failed; the limits keep their last share")
