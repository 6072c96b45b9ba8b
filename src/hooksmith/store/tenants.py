"""The tenant repository: agencies, companies, users (argon2 passwords) and hashed API tokens."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store.errors import Duplicate, NotFound
from hooksmith.store.models import Agency, ApiToken, Base, Company, User, utcnow
from hooksmith.store.scope import Scope

TOKEN_PREFIX = "hs_"
Row = TypeVar("Row", bound=Base)


def password_hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return password_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash` (False for a malformed hash, never an error)."""
    try:
        return password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(plaintext: str) -> str:
    """The stored form of an API token: its sha256 in hex (the token has 256 random bits)."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _one_tenant(agency_id: int | None, company_id: int | None) -> None:
    if (agency_id is None) == (company_id is None):
        raise ValueError("exactly one of agency_id and company_id must be given")


class TenantRepository:
    """Agencies, companies, users and tokens, and the `Scope` each of them sees."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # Agencies and companies

    async def create_agency(self, slug: str, name: str) -> Agency:
        if await self.agency_by_slug(slug) is not None:
            raise Duplicate("slug", slug)
        return await self._insert(Agency(slug=slug, name=name), "slug", slug)

    async def get_agency(self, agency_id: int) -> Agency | None:
        return await self.db.get(Agency, agency_id)

    async def agency_by_slug(self, slug: str) -> Agency | None:
        return (await self.db.scalars(select(Agency).where(Agency.slug == slug))).first()

    async def list_agencies(self) -> Sequence[Agency]:
        return (await self.db.scalars(select(Agency).order_by(Agency.slug))).all()

    async def create_company(
        self, slug: str, name: str, *, agency_id: int | None = None
    ) -> Company:
        if agency_id is not None and await self.get_agency(agency_id) is None:
            raise NotFound(f"agency: no agency with id {agency_id}")
        if await self.db.scalar(select(exists().where(Company.slug == slug))):
            raise Duplicate("slug", slug)
        return await self._insert(Company(slug=slug, name=name, agency_id=agency_id), "slug", slug)

    async def get_company(self, scope: Scope, company_id: int) -> Company | None:
        """The company, or None when it does not exist or lies outside `scope`."""
        statement = scope.apply(select(Company).where(Company.id == company_id), Company.id)
        return (await self.db.scalars(statement)).first()

    async def company_by_slug(self, scope: Scope, slug: str) -> Company | None:
        """The company named by `slug` ("Assign to"), or None outside `scope`."""
        statement = scope.apply(select(Company).where(Company.slug == slug), Company.id)
        return (await self.db.scalars(statement)).first()

    async def list_companies(self, scope: Scope) -> Sequence[Company]:
        statement = scope.apply(select(Company).order_by(Company.slug), Company.id)
        return (await self.db.scalars(statement)).all()

    # Users

    async def create_user(
        self,
        email: str,
        password: str,
        *,
        agency_id: int | None = None,
        company_id: int | None = None,
        is_admin: bool = False,
    ) -> User:
        """A user of one agency or one company, its password hashed with argon2."""
        _one_tenant(agency_id, company_id)
        email = normalize_email(email)
        if await self.user_by_email(email) is not None:
            raise Duplicate("email", email)
        user = User(
            email=email,
            password_hash=hash_password(password),
            agency_id=agency_id,
            company_id=company_id,
            is_admin=is_admin,
        )
        return await self._insert(user, "email", email)

    async def get_user(self, user_id: int) -> User | None:
        return await self.db.get(User, user_id)

    async def user_by_email(self, email: str) -> User | None:
        statement = select(User).where(User.email == normalize_email(email))
        return (await self.db.scalars(statement)).first()

    async def list_users(self, scope: Scope, *, agency_id: int | None = None) -> Sequence[User]:
        """The company users in `scope`, plus the users of `agency_id` when it is given."""
        condition = scope.condition(User.company_id)
        if agency_id is not None:
            condition = condition | (User.agency_id == agency_id)
        statement = select(User).where(condition).order_by(User.email)
        return (await self.db.scalars(statement)).all()

    async def set_password(self, user: User, password: str) -> None:
        user.password_hash = hash_password(password)
        await self.db.flush()

    async def record_sign_in(self, user: User, *, ok: bool, locked_until: datetime | None) -> int:
        """Count a failed sign-in in a row (or reset the count on success) and set the lock;
        returns the failures in a row."""
        user.failed_sign_ins = 0 if ok else (user.failed_sign_ins or 0) + 1
        user.locked_until = locked_until
        await self.db.flush()
        return user.failed_sign_ins

    async def unlock(self, email: str) -> bool:
        """Clear the account's failures and lock; False when no user has this email."""
        user = await self.user_by_email(email)
        if user is None:
            return False
        await self.record_sign_in(user, ok=True, locked_until=None)
        return True

    async def check_password(self, user: User | None, password: str) -> bool:
        """Whether `password` is `user`'s (off the event loop); upgrades an outdated hash.

        With no user, the same time is spent on a dummy hash, so timing does not tell which
        emails exist.
        """
        if user is None:
            await asyncio.to_thread(verify_password, _dummy_hash(), password)
            return False
        if not await asyncio.to_thread(verify_password, user.password_hash, password):
            return False
        if password_hasher().check_needs_rehash(user.password_hash):
            await self.set_password(user, password)
        return True

    async def authenticate(self, email: str, password: str) -> User | None:
        """The user with this email and password, or None; upgrades an outdated hash."""
        user = await self.user_by_email(email)
        return user if await self.check_password(user, password) else None

    # API tokens

    async def create_token(
        self,
        name: str,
        *,
        agency_id: int | None = None,
        company_id: int | None = None,
        created_by: int | None = None,
        environment: str = "production",
    ) -> tuple[ApiToken, str]:
        """A new token and its plaintext (shown once: only its sha256 is stored)."""
        _one_tenant(agency_id, company_id)
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            name=name,
            token_hash=hash_token(plaintext),
            prefix=plaintext[:8],
            agency_id=agency_id,
            company_id=company_id,
            created_by=created_by,
            revoked=False,
            environment=environment,
        )
        return await self._insert(token, "token", token.prefix), plaintext

    async def by_token(self, plaintext: str) -> ApiToken | None:
        """The live (not revoked) token with this plaintext, or None."""
        statement = select(ApiToken).where(
            ApiToken.token_hash == hash_token(plaintext), ApiToken.revoked.is_(False)
        )
        return (await self.db.scalars(statement)).first()

    async def get_token(self, token_id: int) -> ApiToken | None:
        return await self.db.get(ApiToken, token_id)

    async def list_tokens(
        self, *, agency_id: int | None = None, company_id: int | None = None
    ) -> Sequence[ApiToken]:
        """The tokens of one agency or one company, newest first."""
        _one_tenant(agency_id, company_id)
        condition = (
            ApiToken.agency_id == agency_id
            if agency_id is not None
            else ApiToken.company_id == company_id
        )
        statement = select(ApiToken).where(condition).order_by(ApiToken.id.desc())
        return (await self.db.scalars(statement)).all()

    def _token_condition(self, scope: Scope, agency_id: int | None) -> ColumnElement[bool]:
        condition = scope.condition(ApiToken.company_id)
        if agency_id is not None:
            condition = condition | (ApiToken.agency_id == agency_id)
        return condition

    async def tokens_in(self, scope: Scope, *, agency_id: int | None = None) -> Sequence[ApiToken]:
        """The tokens of the companies in `scope`, plus those of `agency_id`, newest first."""
        statement = (
            select(ApiToken)
            .where(self._token_condition(scope, agency_id))
            .order_by(ApiToken.id.desc())
        )
        return (await self.db.scalars(statement)).all()

    async def token_in(
        self, scope: Scope, token_id: int, *, agency_id: int | None = None
    ) -> ApiToken | None:
        """The token, or None when it belongs neither to `scope` nor to `agency_id`."""
        statement = select(ApiToken).where(
            ApiToken.id == token_id, self._token_condition(scope, agency_id)
        )
        return (await self.db.scalars(statement)).first()

    async def revoke_token(self, token_id: int) -> bool:
        changed = await self.db.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(revoked=True)
        )
        return bool(getattr(changed, "rowcount", 0))

    async def touch_token(self, token_id: int) -> None:
        await self.db.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow())
        )

    # Scopes

    async def scope_of(self, *, agency_id: int | None, company_id: int | None) -> Scope:
        """What an agency (all of its companies) or a company (itself) may see."""
        if company_id is not None:
            return Scope.of(company_id)
        if agency_id is None:
            return Scope.nothing()
        ids = await self.db.scalars(select(Company.id).where(Company.agency_id == agency_id))
        return Scope.companies(ids)

    async def scope_for_user(self, user: User) -> Scope:
        return await self.scope_of(agency_id=user.agency_id, company_id=user.company_id)

    async def scope_for_token(self, token: ApiToken) -> Scope:
        return await self.scope_of(agency_id=token.agency_id, company_id=token.company_id)

    async def _insert(self, row: Row, field: str, value: str) -> Row:
        self.db.add(row)
        try:
            await self.db.flush()
        except IntegrityError:
            # A concurrent insert won the race after our check; the caller rolls back.
            raise Duplicate(field, value) from None
        return row


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a real password")
