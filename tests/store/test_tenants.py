from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store import Duplicate, NotFound, TenantRepository, hash_password, verify_password
from hooksmith.store.models import User
from tests.database import Tenants


async def test_tokens_are_stored_hashed_and_found_by_plaintext(
    db: AsyncSession, tenants: Tenants
) -> None:
    repository = TenantRepository(db)
    token, plaintext = await repository.create_token("bot runtime", company_id=tenants.acme.id)
    assert plaintext.startswith("hs_")
    assert len(plaintext) >= 3 + 43
    assert token.prefix == plaintext[:8]
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    stored = (await db.execute(text("SELECT * FROM api_tokens"))).all()
    assert plaintext not in str(stored)

    assert await repository.by_token(plaintext) is token
    assert await repository.by_token(plaintext + "x") is None
    assert await repository.by_token("") is None

    await repository.touch_token(token.id)
    assert await repository.revoke_token(token.id) is True
    db.expunge_all()
    assert await repository.by_token(plaintext) is None
    revoked = await repository.get_token(token.id)
    assert revoked is not None
    assert revoked.revoked is True
    assert revoked.last_used_at is not None


async def test_token_scopes(db: AsyncSession, tenants: Tenants) -> None:
    repository = TenantRepository(db)
    agency_token, _ = await repository.create_token("agency", agency_id=tenants.north.id)
    company_token, _ = await repository.create_token("company", company_id=tenants.delta.id)
    assert await repository.scope_for_token(agency_token) == tenants.scope(
        tenants.acme, tenants.bolt
    )
    assert await repository.scope_for_token(company_token) == tenants.scope(tenants.delta)
    assert [t.name for t in await repository.list_tokens(agency_id=tenants.north.id)] == ["agency"]
    with pytest.raises(ValueError, match="exactly one"):
        await repository.create_token("both", agency_id=1, company_id=1)


async def test_passwords_are_hashed_with_argon2_and_verified(
    db: AsyncSession, tenants: Tenants
) -> None:
    repository = TenantRepository(db)
    user = await repository.create_user(
        " Ada@Example.com ", "correct horse", company_id=tenants.acme.id
    )
    assert user.email == "ada@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert verify_password(user.password_hash, "correct horse")
    assert not verify_password(user.password_hash, "wrong")
    assert not verify_password("not a hash", "correct horse")

    assert await repository.authenticate("ADA@example.com", "correct horse") is user
    assert await repository.authenticate("ada@example.com", "wrong") is None
    assert await repository.authenticate("nobody@example.com", "correct horse") is None
    assert await repository.user_by_email("ada@EXAMPLE.com") is user
    assert await repository.scope_for_user(user) == tenants.scope(tenants.acme)


async def test_users_belong_to_exactly_one_tenant(db: AsyncSession, tenants: Tenants) -> None:
    repository = TenantRepository(db)
    with pytest.raises(ValueError, match="exactly one"):
        await repository.create_user("x@example.com", "pw")
    db.add(
        User(
            email="both@example.com",
            password_hash=hash_password("pw"),
            agency_id=tenants.north.id,
            company_id=tenants.acme.id,
        )
    )
    with pytest.raises(IntegrityError):
        await db.flush()


async def test_duplicates_are_refused(db: AsyncSession, tenants: Tenants) -> None:
    repository = TenantRepository(db)
    with pytest.raises(Duplicate, match="slug: 'north' is already taken"):
        await repository.create_agency("north", "Again")
    with pytest.raises(Duplicate) as duplicate:
        await repository.create_company("acme", "Again")
    assert duplicate.value.field == "slug"
    await repository.create_user("a@example.com", "pw", agency_id=tenants.north.id)
    with pytest.raises(Duplicate, match="email"):
        await repository.create_user("A@example.com", "pw", agency_id=tenants.south.id)
    with pytest.raises(NotFound, match="agency"):
        await repository.create_company("new", "New", agency_id=424242)


async def test_companies_and_users_are_listed_within_scope(
    db: AsyncSession, tenants: Tenants
) -> None:
    repository = TenantRepository(db)
    north = await repository.scope_of(agency_id=tenants.north.id, company_id=None)
    assert [c.slug for c in await repository.list_companies(north)] == ["acme", "bolt"]
    assert await repository.get_company(north, tenants.cobalt.id) is None
    assert await repository.company_by_slug(north, "cobalt") is None
    assert await repository.company_by_slug(north, "bolt") is tenants.bolt
    await repository.create_user("boss@north.example", "pw", agency_id=tenants.north.id)
    await repository.create_user("dev@acme.example", "pw", company_id=tenants.acme.id)
    await repository.create_user("dev@cobalt.example", "pw", company_id=tenants.cobalt.id)
    listed = await repository.list_users(north, agency_id=tenants.north.id)
    assert [u.email for u in listed] == ["boss@north.example", "dev@acme.example"]
    assert [a.slug for a in await repository.list_agencies()] == ["north", "south"]
    assert await repository.agency_by_slug("south") is tenants.south
