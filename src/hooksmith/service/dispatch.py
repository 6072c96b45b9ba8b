"""Where asynchronous executions run: in-process tasks now, a real job queue in a later issue."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import Engine, Result
from hooksmith.engine.result import ResultError
from hooksmith.service.cache import WebhookCache
from hooksmith.service.execution import run_webhook
from hooksmith.store import RunRepository, Scope

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    """Runs a pending run of a webhook some time after `submit` returns."""

    def submit(self, run_id: str, webhook_id: int, conversation: Mapping[str, Any]) -> None: ...

    async def close(self) -> None: ...


class InProcessDispatcher:
    """Runs each pending run as an asyncio task of this process; `close` waits for them."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cache: WebhookCache,
        engine: Engine,
        *,
        margin: float,
        response_limit: int,
    ) -> None:
        self.sessions = sessions
        self.cache = cache
        self.engine = engine
        self.margin = margin
        self.response_limit = response_limit
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, run_id: str, webhook_id: int, conversation: Mapping[str, Any]) -> None:
        task = asyncio.create_task(self._run(run_id, webhook_id, dict(conversation)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, run_id: str, webhook_id: int, conversation: dict[str, Any]) -> None:
        try:
            async with self.sessions() as session:
                await RunRepository(session).start(run_id)
                await session.commit()
            ready = await self.cache.get(Scope.everything(), webhook_id)
            if ready is None:
                result = Result(
                    ok=False,
                    error=ResultError(kind="invalid_definition", message="the webhook was deleted"),
                )
            else:
                result = await run_webhook(self.engine, ready, conversation, margin=self.margin)
            async with self.sessions() as session:
                await RunRepository(session, response_limit=self.response_limit).finish(
                    run_id, result
                )
                await session.commit()
        except Exception:
            log.exception("asynchronous run %s failed", run_id)
