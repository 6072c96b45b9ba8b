"""Page dependencies: who is looking at the page (the session cookie shared with the API), with
CSRF checks for form posts; the runtime and the unit of work (`db`) are `hooksmith.deps`.

A page needs a signed-in person (`PageUser`); without one it answers with a redirect to the
login page. The login form itself is protected by a pre-session double-submit token.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request
from starlette.datastructures import FormData

from hooksmith.deps import RuntimeDep
from hooksmith.service.actors import SignedIn
from hooksmith.service.cookies import (
    CSRF_COOKIE,
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    csrf_ok,
)
from hooksmith.service.errors import Unauthorized


class LoginRequired(Exception):
    """No valid session: the person is sent to the login page, then back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class BadForm(Exception):
    """A form post without a valid CSRF token."""


Viewer = SignedIn  # the signed-in person looking at a page


async def viewer_or_none(request: Request, runtime: RuntimeDep) -> Viewer | None:
    try:
        return await runtime.actors.for_cookie(request.cookies.get(SESSION_COOKIE))
    except Unauthorized:
        return None


async def require_viewer(request: Request, runtime: RuntimeDep) -> Viewer:
    viewer = await viewer_or_none(request, runtime)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return viewer


CsrfToken = Annotated[str, Form(alias=CSRF_FIELD)]  # a form's CSRF field, as the pages post it
PageUser = Annotated[Viewer, Depends(require_viewer)]
MaybeUser = Annotated[Viewer | None, Depends(viewer_or_none)]


def check_form_csrf(request: Request, viewer: Viewer, submitted: str | None) -> None:
    """Refuse a signed-in form post whose CSRF token does not match the session's."""
    if not csrf_ok(viewer.session, request.cookies.get(CSRF_COOKIE), submitted):
        raise BadForm(f"{CSRF_FIELD}: the form is stale; reload the page and try again")


async def form_poster(request: Request, viewer: PageUser, csrf_token: CsrfToken = "") -> Viewer:
    """The signed-in person posting a page's form, once the form's CSRF token matches the
    session's."""
    check_form_csrf(request, viewer, csrf_token)
    return viewer


FormUser = Annotated[Viewer, Depends(form_poster)]


async def checked_form(request: Request, viewer: Viewer) -> FormData:
    """The posted form of a page whose fields are not known in advance, once its CSRF token
    matches the session's."""
    form = await request.form()
    check_form_csrf(request, viewer, str(form.get(CSRF_FIELD, "")))
    return form


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def login_token_ok(request: Request, submitted: str | None) -> bool:
    """The login form's double submit: the field must equal the pre-session cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie, submitted)


def safe_next(path: str | None) -> str:
    """Only a local path may be the target after login (no open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/webhooks"
    return path


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")
