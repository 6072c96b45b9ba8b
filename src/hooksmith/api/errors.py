"""The one table from domain, store and engine errors to HTTP statuses and the JSON error shape
`{"error": {"kind", "message", "field"}}`; an invalid definition or request also lists every
fault found, `"errors": [{"field", "message"}]`, so a form can mark them all at once."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from hooksmith.engine import InvalidDefinition
from hooksmith.service import errors as service
from hooksmith.store import Duplicate, NotFound, RevisionConflict, SecretUnreadable

log = logging.getLogger(__name__)

STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (service.NotFound, 404, "not_found"),
    (NotFound, 404, "not_found"),
    (service.Unauthorized, 401, "unauthorized"),
    (service.Forbidden, 403, "forbidden"),
    (service.Conflict, 409, "conflict"),
    (RevisionConflict, 409, "revision_conflict"),
    (Duplicate, 409, "duplicate"),
    (SecretUnreadable, 409, "secret_unreadable"),
    (service.InvalidInput, 422, "invalid_input"),
    (service.RateLimited, 429, "rate_limited"),
    (InvalidDefinition, 422, "invalid_definition"),
)
LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


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


def _field(error: Exception) -> str | None:
    if isinstance(error, service.ServiceError | InvalidDefinition):
        return error.field
    if isinstance(error, Duplicate):
        return error.field
    if isinstance(error, RevisionConflict):
        return "revision"
    return None


def _message(error: Exception) -> str:
    if isinstance(error, service.ServiceError | InvalidDefinition):
        return error.message
    return str(error)


async def _known(request: Request, error: Exception) -> JSONResponse:
    for kind_of, status, kind in STATUS:
        if isinstance(error, kind_of):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
            if isinstance(error, service.RateLimited):
                headers = {"Retry-After": str(error.retry_after)}
            every = error.errors if isinstance(error, InvalidDefinition) else None
            return error_response(
                status, kind, _message(error), _field(error), errors=every, **headers
            )
    return await _unexpected(request, error)


KNOWN: tuple[type[Exception], ...] = tuple(kind_of for kind_of, _, _ in STATUS)


async def known_error(request: Request, error: Exception) -> JSONResponse:
    """The answer of this table to an error of `KNOWN`, for code that runs outside the router."""
    return await _known(request, error)


def field_path(location: tuple[Any, ...]) -> str:
    """`('body', 'headers', 0, 'key')` → `headers[0].key`."""
    parts = location[1:] if location and location[0] in LOCATIONS else location
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or (str(location[0]) if location else "")


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    found = [(field_path(tuple(item.get("loc", ()))), _said(item)) for item in error.errors()] or [
        ("", "invalid request")
    ]
    field, message = found[0]
    return error_response(
        422,
        "invalid_input",
        f"{field}: {message}" if field else message,
        field,
        errors=found if len(found) > 1 else None,
    )


def _said(item: Any) -> str:
    if item.get("type") == "missing":
        return "is required"
    return str(item.get("msg", "invalid")).removeprefix("Value error, ")


async def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    kinds = {404: "not_found", 405: "method_not_allowed"}
    return error_response(
        error.status_code, kinds.get(error.status_code, "http_error"), str(error.detail)
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "internal", "something went wrong on the server")


def install(app: FastAPI) -> None:
    """Register the handlers of this table on `app`."""
    for kind_of, _, _ in STATUS:
        app.add_exception_handler(kind_of, _known)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
