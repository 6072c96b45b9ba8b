"""One renderer process: it renders what the event loop must not, under a memory limit.

The pool (`renderers`) sends it jobs over a pipe as JSON frames: render a webhook's request,
or read an answer (success condition and mappers). It answers with JSON too, so nothing it
returns can be more than data. Its address space is capped (`RLIMIT_AS`), so a template that
builds a huge value fails with a render error here instead of growing the server.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from hooksmith.engine.definition import ResponseType, parse_webhook
from hooksmith.engine.errors import EngineError, MappingError
from hooksmith.engine.parsing import decode_text, parse_body
from hooksmith.engine.phases import read_answer
from hooksmith.engine.request import prepare
from hooksmith.engine.sandbox import Limits, Sandbox

PREPARE = "prepare"
READ = "read"


def main() -> None:
    """The process' entry point: `<memory bytes> <limits as JSON>`; jobs on stdin, answers on
    stdout (which nothing else may write to: stray output goes to stderr)."""
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    jobs = Connection(0, writable=False)
    serve(jobs, answers, int(sys.argv[1]), json.loads(sys.argv[2]))


def serve(jobs: Connection, answers: Connection, memory_bytes: int, limits: dict[str, int]) -> None:
    """Answer jobs until the pool closes the pipe (or kills this process at a deadline)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server's Ctrl-C is the server's
    os.nice(10)  # on a busy machine the server's event loop comes first
    _limit_memory(memory_bytes)
    sandbox = Sandbox(Limits(**limits))
    while True:
        try:
            job = json.loads(jobs.recv_bytes())
            body = jobs.recv_bytes() if job.get("job") == READ else b""
        except (EOFError, OSError):
            return
        try:
            answer = _answer(sandbox, job, body)
        except MemoryError:
            answer = {"error": {"message": "the template needs more memory than allowed"}}
        except Exception as exc:  # a job this process cannot do is an error, not its end
            answer = {"error": {"message": f"{type(exc).__name__}: {exc}"}}
        answers.send_bytes(json.dumps(answer).encode("ascii"))


def _limit_memory(memory_bytes: int) -> None:
    """Cap this process' address space at what it uses now plus `memory_bytes`."""
    import resource  # Unix only: imported here so the library imports anywhere

    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux: the deadline still bounds the render
        return
    resource.setrlimit(resource.RLIMIT_AS, (used + memory_bytes, used + memory_bytes))


def _answer(sandbox: Sandbox, job: dict[str, Any], body: bytes) -> dict[str, Any]:
    deadline = time.monotonic() + float(job["timeout"])
    webhook = parse_webhook(job["webhook"])
    conversation = job["conversation"]
    if job["job"] == PREPARE:
        try:
            prepared = prepare(
                sandbox,
                webhook,
                conversation,
                deadline=deadline,
                request_scope=job.get("request_scope"),
            )
        except EngineError as error:
            return {"error": {"message": error.message, "field": error.field}}
        return {
            "url": prepared.url,
            "headers": prepared.headers,
            "body": prepared.body,
            "warnings": prepared.warnings,
        }
    content_type = job.get("content_type")
    if job["parsed"]:
        parsed = parse_body(body, ResponseType(job["response_type"]), content_type)
    else:
        parsed = decode_text(body, content_type)
    scope = dict(conversation)
    scope.update(response=parsed, status=job["status"], headers=job["headers"])
    mappers = [variable.mapper for variable in webhook.custom_variables]
    condition = webhook.success_condition if job["check_condition"] else None
    reading = read_answer(sandbox, mappers, condition, scope, deadline=deadline)
    return {"condition": reading.condition, "outcomes": [_outcome(o) for o in reading.outcomes]}


def _outcome(outcome: Any) -> Any:
    if isinstance(outcome, MappingError):
        return {"compile_error": outcome.message}
    try:
        json.dumps(outcome.value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        kind = type(outcome.value).__name__
        return [None, False, f"the mapper yields a {kind}, not a JSON value"]
    return [outcome.value, outcome.found, outcome.reason]
