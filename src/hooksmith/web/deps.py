"""Page dependencies: the runtime, a database session, and who is looking at the page (the
session cookie shared with the API), with CSRF checks for form posts.

A page needs a signed-in person (`PageUser`); without one it answers with a redirect to the
login page. The login form itself is protected by a pre-session double-submit token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.service.actors import Actor, ActorCache, actor_for_user
from hooksmith.service.runtime import Runtime
from hooksmith.service.sessions import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    SessionData,
    csrf_ok,
    session_cookies,
)
from hooksmith.store import MAX_ID

LOGIN_CSRF_COOKIE = "hooksmith_login_csrf"


class LoginRequired(Exception):
    """No valid session: the person is sent to the login page, then back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class BadForm(Exception):
    """A form post without a valid CSRF token."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person of a page and the CSRF token their forms and scripts send."""

    actor: Actor
    session: SessionData

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token


async def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]


async def database(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A database session for one page; what it did not commit is rolled back."""
    async with runtime.sessions() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(database)]


async def viewer_or_none(request: Request, runtime: RuntimeDep) -> Viewer | None:
    session = runtime.cookies.read(request.cookies.get(SESSION_COOKIE))
    if session is None or not await runtime.signed_in.check(session):
        return None
    key = ActorCache.user_key(session.user_id)
    actor = runtime.actors.get(key)
    if actor is None:
        async with runtime.sessions() as db:
            actor = await actor_for_user(db, session.user_id)
        if actor is None:
            return None
        runtime.actors.put(key, actor)
    return Viewer(actor=actor, session=session)


async def require_viewer(request: Request, runtime: RuntimeDep) -> Viewer:
    viewer = await viewer_or_none(request, runtime)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return viewer


PageUser = Annotated[Viewer, Depends(require_viewer)]
MaybeUser = Annotated[Viewer | None, Depends(viewer_or_none)]
PageId = Annotated[int, Path(ge=1, le=MAX_ID)]
PageOffset = Annotated[int, Query(ge=0, le=MAX_ID)]


def check_form_csrf(request: Request, viewer: Viewer, submitted: str | None) -> None:
    """Refuse a signed-in form post whose CSRF token does not match the session's."""
    if not csrf_ok(viewer.session, request.cookies.get(CSRF_COOKIE), submitted):
        raise BadForm(f"{CSRF_FIELD}: the form is stale; reload the page and try again")


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


def set_session_cookies(response: Response, runtime: Runtime, cookie: str, csrf: str) -> None:
    """The same two cookies the API's sign-in sets, so pages and API share one session."""
    settings = runtime.settings
    for spec in session_cookies(
        cookie, csrf, max_age=settings.session_max_age, secure=settings.cookies_secure()
    ):
        response.set_cookie(**spec.options())
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
