"""The live-run writer: stores runs off the response path, in batches, drained on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.store import NewRun, RunRepository

log = logging.getLogger(__name__)
# Seconds between tries of a batch the database refused: about 3 s in all, so a moment's
# outage loses no run while the runs behind the batch wait only briefly.
RETRY_DELAYS = (0.1, 0.5, 2.0)


class RunWriter:
    """Collects finished runs and inserts them with one statement per batch.

    A batch is written when it holds `batch_size` runs or `interval` seconds after its first
    run arrived, whichever comes first; `close` writes whatever is still queued.
    """

    def __init__(
        self,
        open_db: async_sessionmaker[AsyncSession],
        *,
        response_limit: int,
        interval: float = 0.05,
        batch_size: int = 200,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.open_db = open_db
        self.response_limit = response_limit
        self.interval = interval
        self.batch_size = batch_size
        self.retry_delays = retry_delays
        self._queue: asyncio.Queue[NewRun | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._full = asyncio.Event()  # set once the gathering batch can be filled (or on close)
        self._missing = batch_size  # how many runs the gathering batch still lacks
        self.failed = 0  # runs that could not be stored since the writer began

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="hooksmith-run-writer")

    def submit(self, run: NewRun) -> None:
        """Queue a finished run; returns at once."""
        self._queue.put_nowait(run)
        if self._queue.qsize() >= self._missing:
            self._full.set()

    @property
    def queued(self) -> int:
        """How many runs wait to be written now."""
        return self._queue.qsize()

    async def close(self) -> None:
        """Write every run still queued, then stop."""
        if self._task is not None:
            self._queue.put_nowait(None)
            self._full.set()
            await self._task
            self._task = None
        batch = self._drain()
        while batch:
            await self._write(batch[: self.batch_size])
            batch = batch[self.batch_size :]

    def _drain(self) -> list[NewRun]:
        batch: list[NewRun] = []
        while not self._queue.empty():
            run = self._queue.get_nowait()
            if run is not None:
                batch.append(run)
        return batch

    async def _loop(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = self._take(batch)
            if not stopping and len(batch) < self.batch_size:
                # One timer per batch, not one per run: under load a batch gathers many runs.
                self._missing = self.batch_size - len(batch)
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.interval)
                stopping = self._take(batch)
            await self._write(batch)
            if stopping:
                return

    def _take(self, batch: list[NewRun]) -> bool:
        """Move queued runs into `batch` up to its size; True when `close` was asked for."""
        while len(batch) < self.batch_size and not self._queue.empty():
            run = self._queue.get_nowait()
            if run is None:
                return True
            batch.append(run)
        return False

    async def _write(self, batch: list[NewRun]) -> None:
        """Insert the batch in one statement, trying again after `retry_delays` (a database
        that refused a moment, e.g. with no connection left); if it still fails, each run on
        its own, so one run that cannot be stored never costs the others theirs."""
        if not batch:
            return
        for delay in (*self.retry_delays, None):
            try:
                await self._insert(batch)
                return
            except Exception as error:
                if delay is None:
                    failure = error
                    break
                log.warning(
                    "storing %d live runs failed (%s); trying again in %g s",
                    len(batch),
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
        if len(batch) == 1:
            self.failed += 1
            self._lost(batch[0], failure)
            return
        log.warning("a batch of %d live runs failed; storing them one by one", len(batch))
        for run in batch:
            try:
                await self._insert([run])
            except Exception as error:
                self.failed += 1
                self._lost(run, error)

    async def _insert(self, batch: list[NewRun]) -> None:
        async with self.open_db() as db:
            await RunRepository(db, response_limit=self.response_limit).add_many(batch)
            await db.commit()

    @staticmethod
    def _lost(run: NewRun, error: Exception) -> None:
        # Results are redacted already; the ids are enough to trace the loss.
        log.error(
            "could not store live run %s (webhook %d, company %d)",
            run.id,
            run.webhook_id,
            run.company_id,
            exc_info=error,
        )
