"""Sample answers at rest: one per webhook, read through the scope, the company's mock switch
read with it in one query, and gone with their webhook."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store import SampleRepository, Scope, SecretBox, WebhookRepository
from tests.database import Tenants
from tests.factories import make_webhook

HEADERS = [{"key": "Content-Type", "value": "application/json"}]


async def test_a_sample_is_kept_replaced_scoped_and_deleted_with_its_webhook(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    webhooks = WebhookRepository(db, secret_box)
    row = await webhooks.add(tenants.acme.id, make_webhook())
    samples = SampleRepository(db)
    state = await samples.mock_state(tenants.acme.id, row.id)
    assert (state.mock, state.sample) == (False, None)

    await samples.put(
        row.id,
        status=200,
        headers=HEADERS,
        body='{"a": 1}',
        source="typed",
        run_id=None,
        user_id=None,
    )
    await samples.put(
        row.id, status=201, headers=[], body='{"a": 2}', source="run", run_id="r1", user_id=None
    )
    await db.commit()
    mine = await samples.get(tenants.scope(tenants.acme), row.id)
    assert mine is not None
    assert (mine.status, mine.body, mine.source, mine.run_id) == (201, '{"a": 2}', "run", "r1")
    assert await samples.get(tenants.scope(tenants.cobalt), row.id) is None

    await samples.set_mock_switch(tenants.acme.id, True)
    await db.commit()
    state = await samples.mock_state(tenants.acme.id, row.id)
    assert state.mock is True
    assert state.sample is not None
    assert state.sample.body == '{"a": 2}'
    other = await samples.mock_state(tenants.bolt.id, row.id)
    assert other.mock is False

    assert await webhooks.delete(Scope.everything(), row.id)
    await db.commit()
    db.expunge_all()
    assert await samples.sample_of(row.id) is None
