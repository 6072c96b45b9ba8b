"""OAuth2 client credentials: fetch an access token, keep it until shortly before it expires.

See docs/design.md#oauth2-client-credentials. Tokens are kept per (company, token URL, client
id, scope, audience, client secret): in this process, and in a shared `TokenStore` when one is
given (the service keeps them encrypted in the database, so servers share them). Concurrent
executes that need the same token share one fetch.

    TokenCache
     ├── tokens in this process (a dict), and the fetches in flight (single-flight)
     └── TokenStore (optional)   load / save / drop, shared between processes
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import quote_plus, urlencode, urlsplit

from hooksmith.engine.company import HostNotAllowed, HostRules
from hooksmith.engine.definition import OAuth2Auth, auth_secret
from hooksmith.engine.errors import AuthFailed, EngineError
from hooksmith.engine.transport import OutgoingRequest, Transport

DEFAULT_EXPIRES_IN = 3600.0
# A token is used until this share of its life is left (at most EARLY_SECONDS early), so a
# request never carries a token that expires on its way.
EARLY_SHARE = 0.1
EARLY_SECONDS = 60.0
MAX_TOKENS = 10_000


@dataclass(frozen=True)
class Token:
    """An access token and the Unix time after which it is no longer used."""

    value: str
    usable_until: float

    def usable(self, now: float) -> bool:
        return now < self.usable_until


class TokenStore(Protocol):
    """Tokens shared between processes, by key (a hash that holds no secret) and company.

    A store that cannot answer (its database is away) says it has no token: the token is
    then fetched, never an execute failed for it.
    """

    async def load(self, key: str, company: Hashable) -> Token | None: ...

    async def save(self, key: str, company: Hashable, token: Token) -> None: ...

    async def drop(self, key: str) -> None: ...


def token_key(company: Hashable, auth: OAuth2Auth) -> str:
    """The key of the token these credentials obtain for this company (no secret readable).

    >>> auth = OAuth2Auth(type="oauth2", token_url="https://t.example/token", client_id="c",
    ...                   client_secret="s")
    >>> len(token_key(7, auth)), token_key(7, auth) == token_key(8, auth)
    (64, False)
    """
    secret = auth_secret(auth) or ""
    fingerprint = hashlib.sha256(secret.encode("utf-8")).hexdigest()
    material = [
        str(company),
        auth.token_url,
        auth.client_id,
        auth.scope or "",
        auth.audience or "",
        auth.client_auth,
        fingerprint,
    ]
    return hashlib.sha256(json.dumps(material).encode("utf-8")).hexdigest()


Fetch = Callable[[], Awaitable[Token]]


class TokenCache:
    """The tokens of one process, in front of an optional shared `TokenStore`."""

    def __init__(self, store: TokenStore | None = None) -> None:
        self.store = store
        self._tokens: dict[str, Token] = {}
        self._fetching: dict[str, asyncio.Future[Token]] = {}
        self.fetches = 0  # token requests sent by this process (a figure for tests and metrics)

    async def token(self, key: str, company: Hashable, fetch: Fetch) -> Token:
        """A usable token for `key`: kept here, else in the store, else fetched (once)."""
        found = self._tokens.get(key)
        if found is not None and found.usable(time.time()):
            return found
        return await self._single_flight(key, company, fetch, None)

    async def renew(self, key: str, company: Hashable, rejected: str, fetch: Fetch) -> Token:
        """A new token after the API refused `rejected`. A token renewed already, here or by
        another server, is taken as it is, so concurrent refusals cost one fetch."""
        found = self._tokens.get(key)
        if found is not None and found.value != rejected and found.usable(time.time()):
            return found
        if found is not None and found.value == rejected:
            del self._tokens[key]
        token = await self._single_flight(key, company, fetch, rejected)
        if token.value == rejected:  # it joined a fetch begun before the refusal
            self._tokens.pop(key, None)
            token = await self._single_flight(key, company, fetch, rejected)
        return token

    async def _single_flight(
        self, key: str, company: Hashable, fetch: Fetch, rejected: str | None
    ) -> Token:
        pending = self._fetching.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._obtain(key, company, fetch, rejected))
            self._fetching[key] = pending
            pending.add_done_callback(lambda _: self._fetching.pop(key, None))
        # Shielded: one caller giving up (its deadline) does not cancel the others' fetch.
        return await asyncio.shield(pending)

    async def _obtain(
        self, key: str, company: Hashable, fetch: Fetch, rejected: str | None
    ) -> Token:
        if self.store is not None:
            stored = await self.store.load(key, company)
            if stored is not None and stored.value != rejected and stored.usable(time.time()):
                self._keep(key, stored)
                return stored
            if stored is not None:  # refused or expired: no other server should load it
                await self.store.drop(key)
        self.fetches += 1
        token = await fetch()
        self._keep(key, token)
        if self.store is not None:
            await self.store.save(key, company, token)
        return token

    def _keep(self, key: str, token: Token) -> None:
        if len(self._tokens) >= MAX_TOKENS:
            self._tokens.pop(next(iter(self._tokens)))
        self._tokens[key] = token


def token_request(auth: OAuth2Auth) -> OutgoingRequest:
    """The token request: client credentials grant, the client authenticated by HTTP Basic
    (RFC 6749 section 2.3.1: id and secret form-encoded first) or in the body."""
    secret = auth_secret(auth) or ""
    form: dict[str, str] = {"grant_type": "client_credentials"}
    if auth.scope:
        form["scope"] = auth.scope
    if auth.audience:
        form["audience"] = auth.audience
    headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept", "application/json"),
    ]
    if auth.client_auth == "basic":
        pair = f"{quote_plus(auth.client_id)}:{quote_plus(secret)}"
        basic = base64.b64encode(pair.encode("utf-8")).decode("ascii")
        headers.append(("Authorization", f"Basic {basic}"))
    else:
        form |= {"client_id": auth.client_id, "client_secret": secret}
    return OutgoingRequest(
        method="POST",
        url=auth.token_url,
        headers=tuple(headers),
        body=urlencode(form).encode("ascii"),
        sensitive_headers=frozenset({"authorization"}),
    )


async def fetch_token(
    transport: Transport,
    auth: OAuth2Auth,
    *,
    deadline: float,
    company: Hashable = None,
    secret_hosts: HostRules = (),
) -> Token:
    """Ask the token endpoint for a token; `AuthFailed` says why none came (never the secret:
    the caller redacts it from the message as from any other). `secret_hosts` are the hosts the
    company secrets the webhook carries may go to: the token endpoint must be one of them
    (`HostNotAllowed` otherwise, nothing sent)."""
    where = urlsplit(auth.token_url).netloc
    request = replace(token_request(auth), secret_hosts=secret_hosts)
    try:
        reply = await transport.send(request, deadline=deadline, company=company)
    except HostNotAllowed:
        raise
    except EngineError as error:
        raise AuthFailed(
            f"auth: no OAuth2 token: the token endpoint {where} failed ({error.kind}): "
            f"{error.message}",
            field="auth.token_url",
        ) from None
    answer = _json(reply.body)
    if not 200 <= reply.status < 300:
        raise AuthFailed(
            f"auth: no OAuth2 token: the token endpoint {where} answered {reply.status} "
            f"{_phrase(reply.status)}{_oauth_error(answer)}".rstrip(),
            field="auth",
            status=reply.status,
        )
    value = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(value, str) or not value or any(ch in value for ch in "\r\n\x00"):
        raise AuthFailed(
            f"auth: no OAuth2 token: the answer of {where} holds no access_token",
            field="auth",
            status=reply.status,
        )
    expires_in = answer.get("expires_in", DEFAULT_EXPIRES_IN)
    try:
        lifetime = float(expires_in)
    except (TypeError, ValueError):
        lifetime = DEFAULT_EXPIRES_IN
    if not lifetime > 0 or lifetime == float("inf"):
        lifetime = DEFAULT_EXPIRES_IN
    early = min(lifetime * EARLY_SHARE, EARLY_SECONDS)
    return Token(value=value, usable_until=time.time() + lifetime - early)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _oauth_error(answer: Any) -> str:
    """` (invalid_client: ...)` from an RFC 6749 error answer, else nothing."""
    if not isinstance(answer, dict) or not isinstance(answer.get("error"), str):
        return ""
    code = answer["error"][:100]
    described = answer.get("error_description")
    if isinstance(described, str) and described:
        return f" ({code}: {described[:200]})"
    return f" ({code})"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
