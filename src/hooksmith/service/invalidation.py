"""Telling every server process at once that a webhook, a token or a user's sessions changed.

Each process caches webhooks, callers and sessions (service/cache.py, actors.py, signed_in.py);
a change made in one process clears its own entry at once, and other processes see it when
their entry's time window runs out. On PostgreSQL, `PostgresNotices` also announces each
change with NOTIFY on one channel and LISTENs to it, so every process clears the entry within
milliseconds; the time window stays as the fallback while the listening connection is down.
The embedded SQLite default has one process, so `LocalNotices` announces nothing.

    >>> parse_notice("webhook:12"), parse_notice("nonsense")
    (('webhook', 12), None)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

import asyncpg

from hooksmith.service.tasks import cancel_and_wait

log = logging.getLogger(__name__)

CHANNEL = "hooksmith_changes"
# "user": a user's sessions ended; "company": a company's secrets or variables changed
KINDS = frozenset({"webhook", "token", "user", "company"})
Handler = Callable[[str, int], None]


class Notices(Protocol):
    """Where a process announces a change, and hears the other processes' announcements."""

    def announce(self, kind: str, ident: int) -> None: ...

    async def close(self) -> None: ...


class LocalNotices:
    """One process: its own caches were cleared by the change itself; nothing to announce."""

    def announce(self, kind: str, ident: int) -> None:
        return None

    async def close(self) -> None:
        return None


class PostgresNotices:
    """NOTIFY on every change and LISTEN for the others', on one connection of its own."""

    def __init__(self, dsn: str, handler: Handler, *, retry_every: float = 1.0) -> None:
        self.dsn = dsn
        self.handler = handler
        self.retry_every = retry_every
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, database_url: str, handler: Handler) -> PostgresNotices:
        """Connect and listen (waits briefly for the first connection; retries in the
        background if it cannot be made)."""
        notices = cls(asyncpg_dsn(database_url), handler)
        notices._task = asyncio.create_task(notices._run(), name="hooksmith-notices")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(notices._connected.wait(), 5)
        return notices

    def announce(self, kind: str, ident: int) -> None:
        """Queue `kind:ident` for NOTIFY; returns at once."""
        self._outbox.put_nowait(f"{kind}:{ident}")

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                connection = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("change notices: cannot connect (%s); retrying", error)
                await asyncio.sleep(self.retry_every)
                continue
            try:
                await connection.add_listener(CHANNEL, self._heard)
                self._connected.set()
                while not connection.is_closed():
                    try:
                        payload = await asyncio.wait_for(self._outbox.get(), self.retry_every)
                    except TimeoutError:
                        continue
                    await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("change notices: connection lost (%s); reconnecting", error)
            finally:
                self._connected.clear()
                with contextlib.suppress(Exception):
                    await connection.close()
            await asyncio.sleep(self.retry_every)

    def _heard(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        notice = parse_notice(payload) if isinstance(payload, str) else None
        if notice is not None:
            self.handler(*notice)


def parse_notice(payload: str) -> tuple[str, int] | None:
    kind, _, ident = payload.partition(":")
    if kind not in KINDS or not ident.isdigit():
        return None
    return kind, int(ident)


def asyncpg_dsn(database_url: str) -> str:
    """The libpq-style DSN asyncpg takes, from a SQLAlchemy URL.

    >>> asyncpg_dsn("postgresql+asyncpg://u@h:5432/db")
    'postgresql://u@h:5432/db'
    """
    scheme, sep, rest = database_url.partition("://")
    return "postgresql" + sep + rest if scheme.startswith("postgresql") else database_url
