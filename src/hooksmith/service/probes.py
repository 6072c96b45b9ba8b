"""Readiness: whether this server can take traffic (its database answers a new connection, the
schema is at the newest migration, and the PostgreSQL job queue answers when it is in use).

Each check is bounded by the readiness time-out; a failure is named, never raised, and its
message tells what is wrong without the database's address or credentials (the probe needs no
sign-in). The database is asked on a connection of its own, not one kept in the pool, so a
database that stopped accepting connections is seen as soon as it happens; one check runs at a
time and its answer serves the probes of the next second, so a flood of probes opens at most
one connection at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from hooksmith.service.jobs.queue import QueueDispatcher
from hooksmith.store import create_pool
from hooksmith.store.migrate import head_revision, revision_on

log = logging.getLogger(__name__)
OK: Final = "ok"
REUSE_SECONDS: Final = 1.0


@dataclass(frozen=True)
class Readiness:
    """Each check's verdict: `ok`, or what is wrong."""

    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(verdict == OK for verdict in self.checks.values())

    @property
    def failed(self) -> list[str]:
        """The names of the checks that failed, in the order they ran."""
        return [name for name, verdict in self.checks.items() if verdict != OK]


class ReadinessProbe:
    """The checks of `/readyz` for one server process, each within `timeout` seconds."""

    def __init__(self, url: str, *, timeout: float, queue: QueueDispatcher | None = None) -> None:
        self.timeout = timeout
        self.queue = queue
        self.head = head_revision()
        self._database: AsyncEngine = create_pool(url, poolclass=NullPool)
        self._lock = asyncio.Lock()
        self._last: tuple[float, Readiness] | None = None

    async def check(self) -> Readiness:
        """The verdict of every check, asked now unless it was asked in the last second."""
        async with self._lock:
            if self._last is not None and time.monotonic() - self._last[0] < REUSE_SECONDS:
                return self._last[1]
            readiness = await self._check()
            self._last = (time.monotonic(), readiness)
            return readiness

    async def _check(self) -> Readiness:
        """Ask the database its revision, then the queue; every check is reported."""
        checks: dict[str, str] = {}
        revision: list[str | None] = []

        async def database() -> None:
            async with self._database.connect() as connection:
                revision.append(await revision_on(connection))

        checks["database"] = await self._bounded("database", database)
        if checks["database"] != OK:
            checks["migrations"] = "not checked: the database did not answer"
        elif revision[0] != self.head:
            checks["migrations"] = (
                f"the database is at revision {revision[0] or 'none'}, this server needs "
                f"{self.head}: start a server with HOOKSMITH_MIGRATE_ON_START=true to migrate"
            )
        else:
            checks["migrations"] = OK
        if self.queue is not None:
            checks["queue"] = await self._bounded("queue", self.queue.reachable)
        return Readiness(checks)

    async def close(self) -> None:
        await self._database.dispose()

    async def _bounded(self, name: str, check: Callable[[], Awaitable[None]]) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                await check()
        except TimeoutError:
            log.warning("readiness: the %s did not answer within %g s", name, self.timeout)
            return f"no answer within {self.timeout:g} s"
        except Exception as error:  # whatever the driver raises, the probe answers
            log.warning("readiness: the %s failed: %s", name, error)
            return f"unreachable ({type(error).__name__})"
        return OK
