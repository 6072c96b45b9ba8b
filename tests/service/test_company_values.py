"""The per-company cache of secrets and variables: no query once warm, a change seen at once."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.service.company_values import CompanyValuesCache
from hooksmith.store import SecretBox, SecretUnreadable
from hooksmith.store.company_values import CompanyValueRepository
from tests.database import Tenants


async def _put(
    open_db: async_sessionmaker[AsyncSession], box: SecretBox, company: int, value: str
) -> None:
    async with open_db() as db:
        repository = CompanyValueRepository(db, box)
        await repository.put_secret(company, "KEY", value, ["api.example.com"], user_id=None)
        await repository.put_variable(company, "REGION", "eu")
        await db.commit()


async def test_warm_values_need_no_query_and_a_change_is_seen_at_once(
    open_db: async_sessionmaker[AsyncSession],
    secret_box: SecretBox,
    tenants: Tenants,
    statements: list[str],
) -> None:
    await _put(open_db, secret_box, tenants.acme.id, "first-value")
    cache = CompanyValuesCache(open_db, secret_box, max_age=600)
    values = await cache.get(tenants.acme.id)
    assert values.secrets["KEY"].value == "first-value"
    assert values.secrets["KEY"].allowed_hosts == ("api.example.com",)
    assert values.variables == {"REGION": "eu"}
    statements.clear()
    for _ in range(5):
        assert (await cache.get(tenants.acme.id)) is values
    assert statements == []

    await _put(open_db, secret_box, tenants.acme.id, "rotated-value")
    assert (await cache.get(tenants.acme.id)).secrets["KEY"].value == "first-value"  # not told
    announced: list[int] = []
    cache.announce = announced.append
    cache.changed(tenants.acme.id)
    assert announced == [tenants.acme.id]
    assert (await cache.get(tenants.acme.id)).secrets["KEY"].value == "rotated-value"
    assert (await cache.get(tenants.bolt.id)).secrets == {}


async def test_a_secret_opens_only_for_its_company_and_name(
    open_db: async_sessionmaker[AsyncSession], secret_box: SecretBox, tenants: Tenants
) -> None:
    ciphertext = secret_box.encrypt_named("v", company_id=tenants.acme.id, name="KEY")
    assert secret_box.decrypt_named(ciphertext, company_id=tenants.acme.id, name="KEY") == "v"
    for company, name in ((tenants.bolt.id, "KEY"), (tenants.acme.id, "OTHER")):
        with pytest.raises(SecretUnreadable, match="belongs elsewhere"):
            secret_box.decrypt_named(ciphertext, company_id=company, name=name)
