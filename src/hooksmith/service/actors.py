"""Who is calling: a person (session) or a machine (API token), with the tenant scope it sees."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.service.caching import keep
from hooksmith.service.errors import Unauthorized
from hooksmith.store import Scope, TenantRepository
from hooksmith.store.tenants import hash_token

if TYPE_CHECKING:  # signed_in imports Actor from here
    from hooksmith.service.cookies import SessionCodec, SessionData
    from hooksmith.service.signed_in import SignedInSessions

ActorKind = Literal["user", "token"]


@dataclass(frozen=True)
class Actor:
    """The caller of a use case: one agency's or one company's user or token, and its scope."""

    kind: ActorKind
    id: int
    name: str
    scope: Scope
    agency_id: int | None
    company_id: int | None
    is_admin: bool = False
    environment: str = "production"  # a token's; "staging" executes may answer from samples

    @property
    def is_staging(self) -> bool:
        """A staging token: its executes answer from samples while its company mocks."""
        return self.kind == "token" and self.environment == "staging"

    @property
    def user_id(self) -> int | None:
        """The user to record as author (None for tokens)."""
        return self.id if self.kind == "user" else None

    @property
    def is_agency(self) -> bool:
        return self.agency_id is not None


async def actor_for_user(db: AsyncSession, user_id: int) -> Actor | None:
    """The actor of a signed-in user, or None when the user no longer exists."""
    tenants = TenantRepository(db)
    user = await tenants.get_user(user_id)
    if user is None:
        return None
    return Actor(
        kind="user",
        id=user.id,
        name=user.email,
        scope=await tenants.scope_for_user(user),
        agency_id=user.agency_id,
        company_id=user.company_id,
        is_admin=user.is_admin,
    )


async def actor_for_token(db: AsyncSession, plaintext: str) -> Actor | None:
    """The actor of a live API token, or None when it is unknown or revoked."""
    tenants = TenantRepository(db)
    token = await tenants.by_token(plaintext)
    if token is None:
        return None
    actor = Actor(
        kind="token",
        id=token.id,
        name=token.name,
        scope=await tenants.scope_for_token(token),
        agency_id=token.agency_id,
        company_id=token.company_id,
        environment=token.environment,
    )
    # End the read first: on SQLite a read transaction that then writes fails at once when
    # another writer (the run writer) got in between, where a fresh write waits its turn.
    await db.commit()
    await tenants.touch_token(token.id)
    await db.commit()
    return actor


@dataclass
class _Entry:
    stored_at: float
    actor: Actor
    reloading_since: float | None = None


@dataclass(frozen=True)
class SignedIn:
    """A person calling with a live session cookie: who, and the session (for its CSRF token)."""

    actor: Actor
    session: SessionData

    @property
    def csrf_token(self) -> str:
        """The token the person's forms and scripts send back."""
        return self.session.csrf_token


class Actors:
    """Who is calling: API tokens and session cookies resolved to actors, with the recently
    resolved kept here so a warm execute path asks the database nothing.

    A revocation in this process is seen at once (`forget_token`); other processes see it
    through change notices, or once the entry is older than `max_age` seconds.
    """

    def __init__(
        self,
        open_db: async_sessionmaker[AsyncSession],
        cookies: SessionCodec,
        signed_in: SignedInSessions,
        *,
        max_age: float,
        capacity: int = 10_000,
    ) -> None:
        self.open_db = open_db
        self.cookies = cookies
        self.signed_in = signed_in
        self.max_age = max_age
        self.capacity = capacity
        # How long other callers keep the expired actor while the first one reloads it.
        self.grace = min(1.0, max_age)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self.announce: Callable[[int], None] | None = None  # tells other processes (notices)

    async def for_token(self, plaintext: str) -> Actor:
        """The actor of an API token; `Unauthorized` when it is unknown or revoked."""
        key = self._token_key(plaintext)
        actor = self._cached(key)
        if actor is None:
            async with self.open_db() as db:
                actor = await actor_for_token(db, plaintext)
            if actor is None:
                raise Unauthorized("Authorization: the API token is unknown or revoked")
            self._keep(key, actor)
        return actor

    async def for_cookie(self, cookie: str | None) -> SignedIn:
        """The person of a session cookie; `Unauthorized` (saying why) without a live session."""
        session = self.cookies.read(cookie)
        if session is None:
            raise Unauthorized("sign in (POST /api/v1/session) or send an API token")
        if not await self.signed_in.check(session):
            raise Unauthorized("the session has ended; sign in again (POST /api/v1/session)")
        key = self._user_key(session.user_id)
        actor = self._cached(key)
        if actor is None:
            async with self.open_db() as db:
                actor = await actor_for_user(db, session.user_id)
            if actor is None:
                raise Unauthorized("the signed-in user no longer exists; sign in again")
            self._keep(key, actor)
        return SignedIn(actor, session)

    def _cached(self, key: str) -> Actor | None:
        """The cached actor, or None: then the caller looks it up and keeps it (`_keep`).

        Once an entry expires, the first caller gets None and reloads while the callers after
        it keep the old actor for up to `grace` seconds, so an expiry under load sends one
        query rather than one per waiting request; an entry nobody put back (a revoked token,
        a deleted user) is then dropped.
        """
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = time.monotonic()
        if now - entry.stored_at <= self.max_age:
            return entry.actor
        if entry.reloading_since is None:
            entry.reloading_since = now
            return None
        if now - entry.reloading_since <= self.grace:
            return entry.actor
        del self._entries[key]
        return None

    def _keep(self, key: str, actor: Actor) -> None:
        keep(self._entries, key, _Entry(time.monotonic(), actor), self.capacity)

    def revoked(self, token_id: int) -> None:
        """A revocation in this process: forget the token here and tell the other processes."""
        self.forget_token(token_id)
        if self.announce is not None:
            self.announce(token_id)

    def forget_token(self, token_id: int) -> None:
        for key, entry in list(self._entries.items()):
            if entry.actor.kind == "token" and entry.actor.id == token_id:
                del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    @staticmethod
    def _token_key(plaintext: str) -> str:
        return "token:" + hash_token(plaintext)

    @staticmethod
    def _user_key(user_id: int) -> str:
        return f"user:{user_id}"
