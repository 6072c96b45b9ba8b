"""Where asynchronous runs execute: the PostgreSQL job queue (`queue.QueueDispatcher`, worked by
`hooksmith worker`) or, for the embedded single-process default, tasks of the server itself.

Either way the run was stored (with its conversation) before `submit`, so a crash loses
nothing: the queue retries the job, and the in-process dispatcher takes up unfinished runs and
pending callbacks again when the server starts (`recover`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from hooksmith.service.jobs.runs import JobContext, deliver_callback, perform_run
from hooksmith.store.async_runs import AsyncRunRepository
from hooksmith.store.models import utcnow

log = logging.getLogger(__name__)
FAR_FUTURE_DAYS = 3650


class InProcessDispatcher:
    """Each pending run is an asyncio task of this process; callbacks retry with sleeps.

    `close` waits for runs under way and stops callback retries (they resume at the next start).
    Meant for one server process on its own database, the embedded SQLite default.
    """

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self._runs: set[asyncio.Task[None]] = set()
        self._callbacks: set[asyncio.Task[None]] = set()

    async def submit(self, run_id: str) -> None:
        self._spawn(self._runs, self._run(run_id))

    async def recover(self) -> int:
        """Take up runs and callbacks left unfinished by the last process; returns how many."""
        far = utcnow() + timedelta(days=FAR_FUTURE_DAYS)
        async with self.ctx.open_db() as db:
            runs = AsyncRunRepository(db)
            unfinished = await runs.unfinished()
            callbacks = await runs.due_callbacks(now=far, limit=10_000)
        for run_id in unfinished:
            self._spawn(self._runs, self._run(run_id))
        for run_id in callbacks:
            self._spawn(self._callbacks, self._deliver(run_id))
        if unfinished or callbacks:
            log.info("took up %d unfinished runs, %d callbacks", len(unfinished), len(callbacks))
        return len(unfinished) + len(callbacks)

    async def close(self) -> None:
        if self._runs:
            await asyncio.gather(*list(self._runs), return_exceptions=True)
        for task in list(self._callbacks):
            task.cancel()
        if self._callbacks:
            await asyncio.gather(*list(self._callbacks), return_exceptions=True)

    def _spawn(self, into: set[asyncio.Task[None]], work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        into.add(task)
        task.add_done_callback(into.discard)

    async def _run(self, run_id: str) -> None:
        try:
            if await perform_run(self.ctx, run_id):
                self._spawn(self._callbacks, self._deliver(run_id))
        except Exception:
            log.exception("asynchronous run %s failed", run_id)

    async def _deliver(self, run_id: str) -> None:
        while True:
            try:
                next_at = await deliver_callback(self.ctx, run_id)
            except Exception:
                log.exception("callback of run %s failed", run_id)
                return
            if next_at is None:
                return
            await asyncio.sleep(max((next_at - utcnow()).total_seconds(), 0.0))
