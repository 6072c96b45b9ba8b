"""Errors as the API answers them: the status from the one table (`hooksmith.deps.STATUS`) and
the JSON shape `{"error": {"kind", "message", "field"}}`; the pages show the same answers as
HTML. An invalid definition or request also lists every fault found,
`"errors": [{"field", "message"}]`, so a form can mark them all at once.

An error's kind, message and field are its own (`kind` is written once, on its class); the
storage layer's errors never get here, the service translates them.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from hooksmith.deps import STATUS
from hooksmith.engine import InvalidDefinition, field_path
from hooksmith.service import errors as service

log = logging.getLogger(__name__)

LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


@dataclass(frozen=True)
class Answer:
    """What an error answers: its status, kind, message, field, every fault and headers."""

    status: int
    kind: str
    message: str
    field: str | None = None
    errors: list[tuple[str, str]] | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        # A message or field may quote the input, and JSON input may hold a lone surrogate
        # (`"\ud800"`), which no answer can encode: it is shown escaped instead.
        object.__setattr__(self, "message", writable(self.message))
        if self.field is not None:
            object.__setattr__(self, "field", writable(self.field))
        if self.errors:
            faults = [(writable(at), writable(text)) for at, text in self.errors]
            object.__setattr__(self, "errors", faults)

    def response(self) -> JSONResponse:
        return error_response(
            self.status, self.kind, self.message, self.field, errors=self.errors, **self.headers
        )


def writable(text: str) -> str:
    """`text` with what UTF-8 cannot encode (a lone surrogate) written as its escape.

    >>> writable("bad key " + chr(0xD800))
    'bad key \\\\ud800'
    """
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_response(
    status: int,
    kind: str,
    message: str,
    field: str | None = None,
    *,
    errors: list[tuple[str, str]] | None = None,
    **headers: str,
) -> JSONResponse:
    error: dict[str, Any] = {"kind": kind, "message": message, "field": field}
    if errors:
        error["errors"] = [{"field": at, "message": text} for at, text in errors]
    return JSONResponse({"error": error}, status_code=status, headers=headers or None)


def answer(request: Request, error: Exception) -> Answer:
    """This table's answer to `error` (logged when it is a defect), for the API and the pages."""
    for kind_of, status in STATUS:
        if isinstance(error, kind_of):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
            if isinstance(error, service.RateLimited | service.Unavailable):
                headers = {"Retry-After": str(error.retry_after)}
            every = error.errors if isinstance(error, InvalidDefinition) else None
            return Answer(status, error.kind, error.message, error.field, every, headers)
    if isinstance(error, RequestValidationError):
        return _invalid_request(error)
    if isinstance(error, HTTPException):
        kinds = {404: "not_found", 405: "method_not_allowed"}
        kind = kinds.get(error.status_code, "http_error")
        return Answer(error.status_code, kind, str(error.detail))
    unavailable = service.unavailable(error)
    if unavailable is not None:  # an overloaded or unreachable database is not a defect here
        log.warning(
            "database unavailable on %s %s (%s)",
            request.method,
            request.url.path,
            type(error).__name__,
        )
        return answer(request, unavailable)
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return Answer(500, "internal", "something went wrong on the server")


KNOWN: tuple[type[Exception], ...] = tuple(kind_of for kind_of, _ in STATUS)


async def known_error(request: Request, error: Exception) -> JSONResponse:
    """The answer of this table to an error, for code that runs outside the router."""
    return answer(request, error).response()


def request_field(location: tuple[Any, ...]) -> str:
    """`('body', 'headers', 0, 'key')` → `headers[0].key`; a bare location stays (`body`)."""
    parts = location[1:] if location and location[0] in LOCATIONS else location
    return field_path(parts) or (str(location[0]) if location else "")


def _invalid_request(error: RequestValidationError) -> Answer:
    found = [
        (request_field(tuple(item.get("loc", ()))), _said(item)) for item in error.errors()
    ] or [("", "invalid request")]
    field, message = found[0]
    text = f"{field}: {message}" if field else message
    return Answer(422, "invalid_input", text, field, found if len(found) > 1 else None)


def _said(item: Any) -> str:
    if item.get("type") == "missing":
        return "is required"
    return str(item.get("msg", "invalid")).removeprefix("Value error, ")


def install(app: FastAPI) -> None:
    """Register this table's JSON answers on `app`."""
    for kind_of in (*KNOWN, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind_of, known_error)
