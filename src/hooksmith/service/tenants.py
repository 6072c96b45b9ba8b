"""Admin use cases: agencies, companies, users and API tokens (a token's plaintext shown once).

An `actor` of None is the operator (CLI admin commands); otherwise the actor must be an admin
and acts inside its own agency or company.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import not_text
from hooksmith.service.actors import Actor, Actors
from hooksmith.service.errors import Forbidden, InvalidInput, NotFound, store_errors
from hooksmith.store import SampleRepository, Scope, TenantRepository
from hooksmith.store.models import Agency, ApiToken, Company, User

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MIN_PASSWORD = 8
ENVIRONMENTS = ("production", "staging")


class CompanyView(BaseModel):
    id: int
    slug: str
    name: str
    agency: str | None
    mock_staging: bool = False  # staging tokens' executes answer from the webhooks' samples


class UserView(BaseModel):
    id: int
    email: str
    agency: str | None
    company: str | None
    is_admin: bool


class TokenView(BaseModel):
    id: int
    name: str
    prefix: str
    agency: str | None
    company: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool
    environment: str = "production"  # or "staging": may answer from samples (mock switch)


class NewToken(TokenView):
    """A token just created: `token` is its plaintext, shown this once and never again."""

    token: str


class Me(BaseModel):
    kind: str
    id: int
    name: str
    agency: str | None
    company: str | None
    is_admin: bool
    companies: list[CompanyView]


def _admin(actor: Actor | None) -> None:
    if actor is not None and not actor.is_admin:
        raise Forbidden("only administrators may manage companies, users and tokens")


def _slug(value: str, field: str = "slug") -> str:
    if not SLUG.fullmatch(value):
        raise InvalidInput(
            f"{field}: {value!r} is not a slug (lowercase letters, digits and -, 1-63 chars)",
            field=field,
        )
    return value


def _name(value: str) -> str:
    if not value.strip() or len(value) > 200:
        raise InvalidInput("name: must be 1-200 characters", field="name")
    _text(value, "name")
    return value


def _text(value: str, field: str) -> None:
    problem = not_text(value)
    if problem is not None:
        raise InvalidInput(f"{field}: {problem}", field=field)


class _Names:
    """Slugs of agencies and companies by id, for views."""

    def __init__(self, agencies: list[Agency], companies: list[Company]) -> None:
        self.agencies = {a.id: a.slug for a in agencies}
        self.companies = {c.id: c.slug for c in companies}

    @classmethod
    async def load(cls, tenants: TenantRepository) -> _Names:
        return cls(
            list(await tenants.list_agencies()),
            list(await tenants.list_companies(Scope.everything())),
        )

    def company(self, row: Company) -> CompanyView:
        agency = self.agencies.get(row.agency_id) if row.agency_id else None
        return CompanyView(
            id=row.id,
            slug=row.slug,
            name=row.name,
            agency=agency,
            mock_staging=bool(row.mock_staging),
        )

    def user(self, row: User) -> UserView:
        return UserView(
            id=row.id,
            email=row.email,
            agency=self.agencies.get(row.agency_id) if row.agency_id else None,
            company=self.companies.get(row.company_id) if row.company_id else None,
            is_admin=row.is_admin,
        )

    def token(self, row: ApiToken) -> TokenView:
        return TokenView(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            agency=self.agencies.get(row.agency_id) if row.agency_id else None,
            company=self.companies.get(row.company_id) if row.company_id else None,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked=row.revoked,
            environment=row.environment or "production",
        )


async def _owner(
    tenants: TenantRepository, actor: Actor | None, company: str | None, agency: str | None
) -> tuple[int | None, int | None]:
    """The (agency id, company id) a new user or token belongs to."""
    for field, slug in (("company", company), ("agency", agency)):
        if slug is not None:
            _text(slug, field)
    if actor is None:
        if (company is None) == (agency is None):
            raise InvalidInput("give either an agency or a company", field="company")
        if company is not None:
            found = await tenants.company_by_slug(Scope.everything(), company)
            if found is None:
                raise NotFound(f"company: no company {company!r}", field="company")
            return None, found.id
        assert agency is not None
        owner = await tenants.agency_by_slug(agency)
        if owner is None:
            raise NotFound(f"agency: no agency {agency!r}", field="agency")
        return owner.id, None
    if agency is not None:
        raise InvalidInput("agency: cannot be chosen; leave it out", field="agency")
    if company is None:
        return actor.agency_id, actor.company_id
    found = await tenants.company_by_slug(actor.scope, company)
    if found is None:
        raise InvalidInput(f"company: {company!r} is not a company you manage", field="company")
    return None, found.id


async def create_agency(db: AsyncSession, slug: str, name: str) -> Agency:
    """A new agency (operator only)."""
    with store_errors():
        agency = await TenantRepository(db).create_agency(_slug(slug), _name(name))
    await db.commit()
    return agency


async def create_company(
    db: AsyncSession,
    actor: Actor | None,
    slug: str,
    name: str,
    *,
    agency: str | None = None,
    actors: Actors | None = None,
) -> CompanyView:
    """A new company: in the admin's own agency, or (operator) in `agency` or on its own."""
    _admin(actor)
    tenants = TenantRepository(db)
    agency_id: int | None = None
    if actor is not None:
        if actor.agency_id is None:
            raise Forbidden("only agency administrators may create companies")
        if agency is not None:
            raise InvalidInput("agency: cannot be chosen; leave it out", field="agency")
        agency_id = actor.agency_id
    elif agency is not None:
        found = await tenants.agency_by_slug(agency)
        if found is None:
            raise NotFound(f"agency: no agency {agency!r}", field="agency")
        agency_id = found.id
    with store_errors():
        company = await tenants.create_company(_slug(slug), _name(name), agency_id=agency_id)
    await db.commit()
    if actors is not None:
        actors.clear()  # the agency's scope grew
    return (await _Names.load(tenants)).company(company)


async def list_companies(db: AsyncSession, actor: Actor) -> list[CompanyView]:
    """The companies the caller may see (and assign webhooks to)."""
    tenants = TenantRepository(db)
    names = await _Names.load(tenants)
    return [names.company(row) for row in await tenants.list_companies(actor.scope)]


async def create_user(
    db: AsyncSession,
    actor: Actor | None,
    email: str,
    password: str,
    *,
    company: str | None = None,
    agency: str | None = None,
    is_admin: bool = False,
) -> UserView:
    """A new user of the admin's agency, or of one of its companies when `company` is given."""
    _admin(actor)
    if "@" not in email or len(email) > 320:
        raise InvalidInput("email: must be an email address", field="email")
    _text(email, "email")
    _text(password, "password")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"password: must be at least {MIN_PASSWORD} characters", field="password"
        )
    tenants = TenantRepository(db)
    agency_id, company_id = await _owner(tenants, actor, company, agency)
    with store_errors():
        user = await tenants.create_user(
            email, password, agency_id=agency_id, company_id=company_id, is_admin=is_admin
        )
    await db.commit()
    return (await _Names.load(tenants)).user(user)


async def list_users(db: AsyncSession, actor: Actor) -> list[UserView]:
    _admin(actor)
    tenants = TenantRepository(db)
    names = await _Names.load(tenants)
    rows = await tenants.list_users(actor.scope, agency_id=actor.agency_id)
    return [names.user(row) for row in rows]


async def create_token(
    db: AsyncSession,
    actor: Actor | None,
    name: str,
    *,
    company: str | None = None,
    agency: str | None = None,
    environment: str = "production",
) -> NewToken:
    """A new API token; its plaintext is in the answer and nowhere else, ever. A `staging`
    token's executes answer from the webhooks' samples while its company's mock switch is on."""
    _admin(actor)
    if environment not in ENVIRONMENTS:
        raise InvalidInput(
            f"environment: must be production or staging (got {environment[:20]!r})",
            field="environment",
        )
    tenants = TenantRepository(db)
    agency_id, company_id = await _owner(tenants, actor, company, agency)
    with store_errors():
        token, plaintext = await tenants.create_token(
            _name(name),
            agency_id=agency_id,
            company_id=company_id,
            created_by=actor.user_id if actor else None,
            environment=environment,
        )
    await db.commit()
    shown = (await _Names.load(tenants)).token(token)
    return NewToken(**shown.model_dump(), token=plaintext)


async def list_tokens(db: AsyncSession, actor: Actor) -> list[TokenView]:
    _admin(actor)
    tenants = TenantRepository(db)
    names = await _Names.load(tenants)
    rows = await tenants.tokens_in(actor.scope, agency_id=actor.agency_id)
    return [names.token(row) for row in rows]


async def revoke_token(
    db: AsyncSession,
    actor: Actor | None,
    token_id: int,
    *,
    actors: Actors | None = None,
) -> None:
    """Revoke a token of the admin's agency or companies (any token for the operator)."""
    _admin(actor)
    tenants = TenantRepository(db)
    scope = actor.scope if actor else Scope.everything()
    found = await tenants.token_in(scope, token_id, agency_id=actor.agency_id if actor else None)
    if found is None:
        raise NotFound(f"no token with id {token_id}")
    await tenants.revoke_token(found.id)
    await db.commit()
    if actors is not None:
        actors.revoked(found.id)


async def me(db: AsyncSession, actor: Actor) -> Me:
    """Who the caller is and which companies it may act on."""
    tenants = TenantRepository(db)
    names = await _Names.load(tenants)
    companies = [names.company(row) for row in await tenants.list_companies(actor.scope)]
    return Me(
        kind=actor.kind,
        id=actor.id,
        name=actor.name,
        agency=names.agencies.get(actor.agency_id) if actor.agency_id else None,
        company=names.companies.get(actor.company_id) if actor.company_id else None,
        is_admin=actor.is_admin,
        companies=companies,
    )


async def set_mock_switch(db: AsyncSession, actor: Actor, company: str, on: bool) -> CompanyView:
    """Turn the company's mock switch on or off (an admin of it or of its agency): while on,
    executes with its staging tokens answer from the webhooks' samples and send nothing."""
    _admin(actor)
    tenants = TenantRepository(db)
    found = await tenants.company_by_slug(actor.scope, company)
    if found is None:
        raise NotFound(f"company: no company {company!r}", field="company")
    await SampleRepository(db).set_mock_switch(found.id, on)
    await db.commit()
    await db.refresh(found)
    return (await _Names.load(tenants)).company(found)
