"""JSON log lines: the fields an operator's log shipper reads, tracebacks, no query strings."""

from __future__ import annotations

import json
import logging
import sys

from hooksmith.logs import REQUEST_ID, JsonFormatter, WithoutQuery


def record(
    name: str, message: str, args: tuple[object, ...] = (), **extra: object
) -> logging.LogRecord:
    made = logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_line_outside_a_request_has_no_request_id() -> None:
    line = json.loads(
        JsonFormatter().format(record("hooksmith.service.jobs.queue", "requeued %s", ("j",)))
    )
    assert line["level"] == "warning"
    assert line["logger"] == "hooksmith.service.jobs.queue"
    assert line["message"] == "requeued j"
    assert line["time"].endswith("+00:00")
    assert "request_id" not in line
    assert "exception" not in line


def test_an_exception_is_one_line_of_json_with_its_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failed = record("uvicorn.error", "Exception in ASGI application", exc_info=sys.exc_info())
    token = REQUEST_ID.set("r-9")
    try:
        text = JsonFormatter().format(failed)
    finally:
        REQUEST_ID.reset(token)
    assert "\n" not in text
    line = json.loads(text)
    assert line["request_id"] == "r-9"
    assert line["exception"].startswith("Traceback")
    assert "ValueError: boom" in line["exception"]


def test_access_lines_lose_their_query_string() -> None:
    access = record(
        "uvicorn.access",
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:5",
            "POST",
            "/api/v1/webhooks/1/execute?callback_url=https://x/?t=secret",
            "1.1",
            202,
        ),
    )
    assert WithoutQuery().filter(access)
    line = json.loads(JsonFormatter().format(access))
    assert line["path"] == "/api/v1/webhooks/1/execute"
    assert line["status"] == 202
    assert "secret" not in json.dumps(line)
