"""The renderer pool: a few renderer processes for the template work the event loop must not do.

Each process (`renderer.serve`) has a memory limit; a job that passes its deadline gets its
process killed (SIGKILL) and replaced, and ends as a render error naming the time-out. The
event loop only hands frames to a thread per process, so a slow or huge render delays nobody.

    >>> pool = RendererPool(processes=2)                                 # doctest: +SKIP
    >>> prepared = await pool.prepare(webhook, {"userName": "Ana"},      # doctest: +SKIP
    ...                               deadline=time.monotonic() + 5)
    >>> await pool.close()                                               # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from hooksmith.engine import renderer
from hooksmith.engine.budget import TIME_OUT
from hooksmith.engine.definition import Webhook
from hooksmith.engine.errors import MappingError, RenderError
from hooksmith.engine.mapping import MapperOutcome
from hooksmith.engine.phases import Reading
from hooksmith.engine.request import PreparedRequest, redactor_for
from hooksmith.engine.sandbox import Limits

MAX_ANSWER_BYTES = 64 * 1024 * 1024
_GRACE = 0.05  # the process answers its own time-out first when it can


class _Renderer:
    """One renderer process and its pipes; started on first use, replaced after a kill."""

    def __init__(self, memory_bytes: int, limits: dict[str, int]) -> None:
        self._command = [
            sys.executable,
            "-c",
            "from hooksmith.engine.renderer import main; main()",
            str(memory_bytes),
            json.dumps(limits),
        ]
        self._process: subprocess.Popen[bytes] | None = None
        self._jobs: Connection | None = None
        self._answers: Connection | None = None
        self._lock = threading.Lock()
        self.closed = False
        self.kills = 0  # processes ended mid-render: past the deadline or out of memory

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def ready(self) -> None:
        """Start the process unless it runs (each start costs a fresh interpreter, ~0.4 s)."""
        if self._process is None or self._process.poll() is not None:
            self._start()

    def exchange(self, frames: list[bytes], deadline: float) -> bytes | str:
        """Send a job and wait for its answer until `deadline`; a string says why there is none."""
        if self.closed:
            return "the server is shutting down"
        try:
            self.ready()
        except OSError as error:
            return f"no renderer process could be started: {error}"
        jobs, answers = self._jobs, self._answers
        assert jobs is not None
        assert answers is not None
        try:
            for frame in frames:
                jobs.send_bytes(frame)
            if answers.poll(max(deadline - time.monotonic(), 0) + _GRACE):
                return answers.recv_bytes(MAX_ANSWER_BYTES)
        except (EOFError, OSError):
            self.kills += 1
            self.stop()
            return "the renderer process ended: the template needs more memory than allowed"
        self.kills += 1
        self.stop()
        return TIME_OUT

    def _start(self) -> None:
        self.stop()
        # A fresh interpreter, not a fork of this threaded process, and one that does not
        # import the program's __main__ (as multiprocessing would).
        process = subprocess.Popen(
            self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True
        )
        assert process.stdin is not None
        assert process.stdout is not None
        jobs = Connection(os.dup(process.stdin.fileno()), readable=False)
        answers = Connection(os.dup(process.stdout.fileno()), writable=False)
        process.stdin.close()
        process.stdout.close()
        with self._lock:
            self._process, self._jobs, self._answers = process, jobs, answers

    def stop(self) -> None:
        """Kill the process (it may be stuck in one long operation) and close its pipes."""
        with self._lock:
            process, jobs, answers = self._process, self._jobs, self._answers
            self._process = self._jobs = self._answers = None
        for connection in (jobs, answers):
            if connection is not None:
                connection.close()
        if process is not None:
            process.kill()
            process.wait()


class RendererPool:
    """`processes` renderer processes, each limited to `memory_mb` MB above its baseline.

    A process starts on first use (or all of them at `start`); one killed at a deadline is
    replaced when next needed. One owner (a company) has at most half of them at once, so a
    tenant's hostile renders leave the other half to everyone else.
    """

    def __init__(
        self, *, processes: int = 2, memory_mb: int = 256, limits: Limits | None = None
    ) -> None:
        fields = dataclasses.asdict(limits or Limits())
        self._renderers = [_Renderer(memory_mb * 1024 * 1024, fields) for _ in range(processes)]
        self._threads = ThreadPoolExecutor(processes, thread_name_prefix="hooksmith-renderer")
        self._idle: asyncio.Queue[_Renderer] | None = None
        self._lock = threading.Lock()
        self._per_owner = max(1, processes // 2)
        self._owners: dict[object, _Turns] = {}

    async def prepare(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        *,
        deadline: float,
        owner: object = None,
        request_scope: Mapping[str, Any] | None = None,
    ) -> PreparedRequest:
        """Render the webhook's request in a renderer process; raises `RenderError`.

        `owner` (e.g. the company) has at most half the processes at once; `request_scope` is
        as `prepare` takes it.
        """
        job = {
            "job": renderer.PREPARE,
            **_common(webhook, conversation, deadline),
            "request_scope": request_scope,
        }
        answer = await self._run([_frame(job)], deadline, owner)
        error = answer.get("error")
        if error is not None:
            raise RenderError(error["message"], field=error.get("field"))
        return PreparedRequest(
            method=webhook.method.value,
            url=answer["url"],
            headers=tuple((key, value) for key, value in answer["headers"]),
            body=answer["body"],
            redactor=redactor_for(webhook),
            warnings=tuple(answer["warnings"]),
        )

    async def read(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        answer: tuple[int, tuple[tuple[str, str], ...], bytes, bool],
        *,
        check_condition: bool,
        deadline: float,
        owner: object = None,
    ) -> Reading:
        """Check the success condition and evaluate the mappers against an upstream's answer.

        `answer` is (status, headers, raw body, whether it parsed by the response type).
        """
        status, headers, body, parsed = answer
        job = {
            "job": renderer.READ,
            **_common(webhook, conversation, deadline),
            "status": status,
            "headers": {key.lower(): value for key, value in headers},
            "content_type": next((v for k, v in headers if k.lower() == "content-type"), None),
            "response_type": webhook.response_type.value,
            "parsed": parsed,
            "check_condition": check_condition,
        }
        try:
            reply = await self._run([_frame(job), body], deadline, owner)
        except RenderError as failure:
            return _failed_reading(webhook, failure.message, check_condition)
        if "error" in reply:  # e.g. out of memory while parsing the answer
            return _failed_reading(webhook, reply["error"]["message"], check_condition)
        verdict = reply["condition"]
        return Reading(
            (bool(verdict[0]), verdict[1]) if verdict is not None else None,
            tuple(_outcome(item) for item in reply["outcomes"]),
        )

    @property
    def running(self) -> int:
        """How many renderer processes run now."""
        return sum(one.running for one in self._renderers)

    @property
    def killed(self) -> int:
        """How many renderer processes were killed or died mid-render since the pool began."""
        return sum(one.kills for one in self._renderers)

    async def start(self) -> None:
        """Start every renderer process now rather than on first use."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._threads, one.ready) for one in self._renderers)
        )

    async def close(self) -> None:
        """Kill every renderer process; a render still running ends as an error."""
        for one in self._renderers:
            one.closed = True
            await asyncio.to_thread(one.stop)
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _run(self, frames: list[bytes], deadline: float, owner: object) -> dict[str, Any]:
        async with self._turn(owner, deadline):
            return await self._exchange(frames, deadline)

    @contextlib.asynccontextmanager
    async def _turn(self, owner: object, deadline: float) -> AsyncIterator[None]:
        """Hold one of `owner`'s turns: a tenant never has more than half the processes."""
        if owner is None:
            yield
            return
        turns = self._owners.get(owner)
        if turns is None:
            turns = self._owners[owner] = _Turns(asyncio.Semaphore(self._per_owner))
        turns.users += 1
        try:
            try:
                async with asyncio.timeout_at(_loop_time(deadline)):
                    await turns.semaphore.acquire()
            except TimeoutError:
                raise RenderError(f"{TIME_OUT}: waiting for a renderer process") from None
            try:
                yield
            finally:
                turns.semaphore.release()
        finally:
            turns.users -= 1
            if not turns.users:
                del self._owners[owner]

    async def _exchange(self, frames: list[bytes], deadline: float) -> dict[str, Any]:
        idle = self._queue()
        try:
            async with asyncio.timeout_at(_loop_time(deadline)):
                one = await idle.get()
        except TimeoutError:
            raise RenderError(f"{TIME_OUT}: every renderer process was busy") from None
        loop = asyncio.get_running_loop()
        exchange = loop.run_in_executor(self._threads, one.exchange, frames, deadline)
        try:
            answer = await asyncio.shield(exchange)
        except asyncio.CancelledError:
            # The thread still talks to the process: it is idle again only when that ends.
            exchange.add_done_callback(lambda _: idle.put_nowait(one))
            raise
        idle.put_nowait(one)
        if isinstance(answer, str):
            raise RenderError(answer)
        data: dict[str, Any] = json.loads(answer)
        return data

    def _queue(self) -> asyncio.Queue[_Renderer]:
        with self._lock:
            if self._idle is None:
                self._idle = asyncio.Queue()
                for one in self._renderers:
                    self._idle.put_nowait(one)
            return self._idle


class _Turns:
    """One owner's turns at the renderer processes, and how many renders use or await them."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self.semaphore = semaphore
        self.users = 0


def _common(webhook: Webhook, conversation: Mapping[str, Any], deadline: float) -> dict[str, Any]:
    return {
        "webhook": webhook.to_data(),
        "conversation": conversation,
        "timeout": max(deadline - time.monotonic(), 0.0),
    }


def _frame(job: dict[str, Any]) -> bytes:
    """The job as JSON; ASCII, so that lone surrogates in the data survive the trip."""
    try:
        return json.dumps(job, default=str).encode("ascii")
    except (ValueError, RecursionError):
        raise RenderError("the conversation data is nested too deeply or too large") from None


def _failed_reading(webhook: Webhook, why: str, check_condition: bool) -> Reading:
    """The reading of an answer the renderer could not finish: no value, and why."""
    outcome = MapperOutcome(None, False, f"the mapper failed: {why}")
    verdict = (False, f"the condition could not be evaluated: {why}")
    return Reading(
        verdict if check_condition else None, tuple(outcome for _ in webhook.custom_variables)
    )


def _outcome(item: Any) -> MapperOutcome | MappingError:
    if isinstance(item, dict):
        return MappingError(item["compile_error"])
    value, found, reason = item
    return MapperOutcome(value, bool(found), reason)


def _loop_time(deadline: float) -> float:
    """`deadline` (time.monotonic) on the running loop's clock."""
    return asyncio.get_running_loop().time() + (deadline - time.monotonic())
