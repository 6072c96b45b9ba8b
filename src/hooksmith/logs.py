"""Log lines of `hooksmith serve` and `hooksmith worker`: human text, or one JSON object a line.

`HOOKSMITH_LOG_FORMAT=json` makes every line (hooksmith's, uvicorn's error and access logs,
and warnings of the libraries underneath) a JSON object with `time`, `level`, `logger`,
`message`, the `request_id` of the HTTP request the line belongs to, and `exception` (the
traceback as text) when there is one. The request id lives in a context variable, set by the
API's request-id middleware for the task that serves the request (and the tasks it starts).

Nothing here logs conversation data, headers or secrets; access lines leave out the query
string (a `callback_url` may carry a token).

>>> token = REQUEST_ID.set("r-1")
>>> record = logging.LogRecord("hooksmith.x", logging.INFO, __file__, 1, "hi %s", ("Ana",), None)
>>> line = json.loads(JsonFormatter().format(record))
>>> (line["level"], line["logger"], line["message"], line["request_id"])
('info', 'hooksmith.x', 'hi Ana', 'r-1')
>>> REQUEST_ID.reset(token)
"""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final, Literal

LogFormat = Literal["text", "json"]

# The id of the HTTP request being served; None outside a request. A context variable, as
# asyncio gives each request's task its own copy.
REQUEST_ID: Final[ContextVar[str | None]] = ContextVar("hooksmith_request_id", default=None)

TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s %(message)s"
_ACCESS_ARGS: Final = 5  # uvicorn: client address, method, path, HTTP version, status


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request_id
    when the record belongs to a request, exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        if record.name == "uvicorn.access" and _is_access(record.args):
            assert isinstance(record.args, tuple)
            client, method, path, _version, status = record.args
            line.update(client=client, method=method, path=path, status=status)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class WithoutQuery(logging.Filter):
    """Drops the query string from uvicorn's access lines: it may hold a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _is_access(record.args):
            assert isinstance(record.args, tuple)
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
        return True


def _is_access(args: object) -> bool:
    return isinstance(args, tuple) and len(args) == _ACCESS_ARGS


def server_logging(log_format: LogFormat, *, root_level: str = "WARNING") -> dict[str, Any]:
    """The `logging.config.dictConfig` of `hooksmith serve`, given to uvicorn (which applies it
    in each of its processes): uvicorn's lines as uvicorn prints them, or all as JSON; and
    hooksmith's own INFO lines, which uvicorn's default leaves unprinted."""
    if log_format == "json":
        formatters: dict[str, Any] = {
            "default": {"()": "hooksmith.logs.JsonFormatter"},
            "access": {"()": "hooksmith.logs.JsonFormatter"},
            "hooksmith": {"()": "hooksmith.logs.JsonFormatter"},
        }
        access_stream = "ext://sys.stderr"
    else:
        formatters = {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(levelprefix)s %(message)s",
                "use_colors": None,
            },
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
            },
            "hooksmith": {"format": TEXT_FORMAT},
        }
        access_stream = "ext://sys.stdout"
    stderr = "ext://sys.stderr"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "filters": {"without_query": {"()": "hooksmith.logs.WithoutQuery"}},
        "handlers": {
            "default": {"formatter": "default", "class": "logging.StreamHandler", "stream": stderr},
            "access": {
                "formatter": "access",
                "class": "logging.StreamHandler",
                "stream": access_stream,
                "filters": ["without_query"],
            },
            "hooksmith": {
                "formatter": "hooksmith",
                "class": "logging.StreamHandler",
                "stream": stderr,
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "hooksmith": {"level": "INFO"},
        },
        "root": {"handlers": ["hooksmith"], "level": root_level},
    }


def configure_logging(log_format: LogFormat, *, root_level: str = "WARNING") -> None:
    """Set up this process' logging as `hooksmith serve` does (`hooksmith worker` also shows
    the INFO lines of the libraries underneath, as it always did)."""
    logging.config.dictConfig(server_logging(log_format, root_level=root_level))
    logging.captureWarnings(log_format == "json")
