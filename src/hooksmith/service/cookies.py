"""The one place that sets and clears hooksmith's cookies, for the API and the pages alike.

The functions take a response's `set_cookie` (Starlette's signature), so this layer needs no web
framework: `set_session_cookies(response.set_cookie, settings, cookie, csrf)`.
"""

from __future__ import annotations

from collections.abc import Callable

from hooksmith.service.sessions import CSRF_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE
from hooksmith.settings import Settings

SetCookie = Callable[..., None]
LOGIN_PATH = "/login"


def set_session_cookies(set_cookie: SetCookie, settings: Settings, cookie: str, csrf: str) -> None:
    """The two cookies of a signed-in person: the session (HttpOnly) and its CSRF token (read by
    the page's script to send back as a header); the login form's token is no longer needed."""
    shared = {"max_age": settings.session_max_age, "secure": settings.cookies_secure()}
    set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax", path="/", **shared)
    set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="lax", path="/", **shared)
    _clear(set_cookie, settings, LOGIN_CSRF_COOKIE, LOGIN_PATH)


def clear_session_cookies(set_cookie: SetCookie, settings: Settings) -> None:
    """Sign-out: the browser forgets both session cookies."""
    _clear(set_cookie, settings, SESSION_COOKIE, "/")
    _clear(set_cookie, settings, CSRF_COOKIE, "/")


def set_login_cookie(set_cookie: SetCookie, settings: Settings, token: str) -> None:
    """The login form's double-submit token, sent only to the login page."""
    secure = settings.cookies_secure()
    set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", path=LOGIN_PATH, secure=secure
    )


def _clear(set_cookie: SetCookie, settings: Settings, key: str, path: str) -> None:
    secure = settings.cookies_secure()
    set_cookie(
        key, "", max_age=0, expires=0, path=path, httponly=True, samesite="lax", secure=secure
    )
