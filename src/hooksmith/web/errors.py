"""Errors on pages: the API's one error table answers, and pages show its answer as HTML.

Every exception handler already installed (the API's table from domain errors to statuses and
`{"error": {...}}`) is wrapped: under `/api/` it answers as before; elsewhere the same table's
status and message (`describe`, given by the app that composes both) are shown on an error
page. No session sends a person to the login page.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import WebSocketRequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hooksmith.web.deps import BadForm, LoginRequired, login_url


class Described(Protocol):
    """What the error table says of an error: its status and a message for people."""

    @property
    def status(self) -> int: ...

    @property
    def message(self) -> str: ...


Describe = Callable[[Request, Exception], Described]
Handler = Callable[[Request, Exception], Awaitable[Response]]
Installed = Callable[[Request, Any], Response | Awaitable[Response]]
# The API's paths, the probes and metrics included: their errors stay JSON, never a page.
API_PATHS = (
    "/api/",
    "/echo",
    "/docs",
    "/openapi.json",
    "/redoc",
    "/healthz",
    "/readyz",
    "/metrics",
)
TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    422: "Not valid",
    429: "Too many requests",
    503: "Unavailable",
}


def error_page(templates: Jinja2Templates, request: Request, status: int, message: str) -> Response:
    title = TITLES.get(status, "Something went wrong")
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": title, "message": message, "viewer": None},
        status_code=status,
    )


def _for_pages(original: Installed, templates: Jinja2Templates, describe: Describe) -> Handler:
    async def handle(request: Request, error: Exception) -> Response:
        if request.url.path.startswith(API_PATHS):
            answer = original(request, error)
            return await answer if inspect.isawaitable(answer) else answer
        described = describe(request, error)
        if described.status == 401:
            return RedirectResponse(login_url(request.url.path), status_code=303)
        return error_page(templates, request, described.status, described.message)

    return handle


def install(app: FastAPI, templates: Jinja2Templates, describe: Describe) -> None:
    """Show the already installed handlers' answers as pages outside `/api/`; add the page-only
    errors (no session, stale form)."""
    for kind, handler in list(app.exception_handlers.items()):
        if not isinstance(kind, type) or not issubclass(kind, Exception):
            continue
        if issubclass(kind, WebSocketRequestValidationError):
            continue
        app.add_exception_handler(kind, _for_pages(handler, templates, describe))

    async def login_required(request: Request, error: Exception) -> Response:
        assert isinstance(error, LoginRequired)
        return RedirectResponse(login_url(error.next_path), status_code=303)

    async def bad_form(request: Request, error: Exception) -> Response:
        return error_page(templates, request, 403, str(error))

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(BadForm, bad_form)
