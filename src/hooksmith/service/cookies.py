"""Cookies of people signed in, for the API and the pages alike: the signed session cookie and
its CSRF token, the login form's token, and the one place that sets and clears them.

The session cookie is signed (itsdangerous) and carries the user id, a CSRF token and a random
session token whose SHA-256 names the session's record in the database (`signed_in`); a
state-changing request that authenticates by cookie must echo that token in the
`X-CSRF-Token` header or a `csrf_token` form field (double submit, bound to the session).

Setting and clearing take a response's `set_cookie` (Starlette's signature), so this layer needs
no web framework: `set_session_cookies(response.set_cookie, settings, cookie, csrf)`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from hooksmith.settings import Settings

SESSION_COOKIE = "hooksmith_session"
CSRF_COOKIE = "hooksmith_csrf"
LOGIN_CSRF_COOKIE = "hooksmith_login_csrf"  # the login form's, before there is a session
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class SessionData:
    """What a valid session cookie says: whose session it is, its CSRF token and its token."""

    user_id: int
    csrf_token: str
    token: str

    @property
    def session_id(self) -> str:
        """The id of the session's record: the token's SHA-256, so the token is never stored."""
        return hashlib.sha256(self.token.encode()).hexdigest()


def derive_session_secret(key_material: str) -> str:
    """A session-signing secret derived from the encryption key, so one setting is enough."""
    return hashlib.sha256(b"hooksmith session cookie\x00" + key_material.encode()).hexdigest()


class SessionCodec:
    """Signs and reads session cookies; a cookie older than `max_age` seconds is refused."""

    def __init__(self, secret: str, *, max_age: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="hooksmith.session")
        self.max_age = max_age

    def issue(self, user_id: int) -> tuple[str, SessionData]:
        """A new cookie value for `user_id` and the session it holds (with a fresh CSRF token)."""
        data = SessionData(
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            token=secrets.token_urlsafe(32),
        )
        payload = {"u": user_id, "c": data.csrf_token, "t": data.token}
        return self._serializer.dumps(payload), data

    def read(self, cookie: str | None) -> SessionData | None:
        """The session in a cookie value, or None when it is missing, forged or expired."""
        if not cookie:
            return None
        try:
            payload = self._serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(payload, dict):
            return None
        user_id, csrf_token, token = payload.get("u"), payload.get("c"), payload.get("t")
        if not isinstance(user_id, int) or not isinstance(csrf_token, str):
            return None
        if not isinstance(token, str) or not token:
            return None  # a cookie from before sessions were kept in the database
        return SessionData(user_id=user_id, csrf_token=csrf_token, token=token)


def csrf_ok(session: SessionData, cookie: str | None, submitted: str | None) -> bool:
    """Whether the submitted token matches both the CSRF cookie and the session's own token."""
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie, session.csrf_token) and hmac.compare_digest(
        submitted, session.csrf_token
    )


SetCookie = Callable[..., None]  # Starlette's Response.set_cookie
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
