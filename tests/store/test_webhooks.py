from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import WITHHELD_SECRET
from hooksmith.engine.definition import Webhook
from hooksmith.store import (
    NotFound,
    RevisionConflict,
    RunRepository,
    Scope,
    SecretBox,
    SecretUnreadable,
    WebhookRepository,
    to_definition,
)
from hooksmith.store.models import WebhookRow
from tests.database import Tenants
from tests.factories import make_webhook

TOKEN = "tok-3f9a7c1e-secret"

EVERY_FIELD: dict[str, Any] = {
    "name": "Order status",
    "method": "POST",
    "url": "https://{{subdomain}}.example.com/orders/{{order_id}}?lang=en",
    "response_type": "xml",
    "execution": "async",
    "timeout": 12.5,
    "auth": {"type": "bearer", "token": TOKEN},
    "headers": [
        {"key": "X-Trace", "value": "{{ certainly.sessionId }}"},
        {"key": "X-Trace", "value": "second"},
        {"key": "Accept", "value": "application/xml"},
    ],
    "params": [{"key": "q", "value": "{{ userName }}"}, {"key": "q", "value": "2"}],
    "context": {"subdomain": "shop", "environment": "prod"},
    "body": '{"order": "{{ order_id }}", // comment\n "n": {{ count | tojson }}}',
    "custom_variables": [
        {"name": "status", "mapper": "response.order.status"},
        {"name": "eta", "mapper": "{{ response.order.eta }} days", "default": "unknown"},
    ],
    "retry": {"attempts": 3, "on": ["timeout", 503], "non_idempotent": True},
    "success_condition": "response.error is not defined",
}


async def raw_ciphertext(db: AsyncSession, webhook_id: int) -> str | None:
    statement = text("SELECT auth_secret_ciphertext FROM webhooks WHERE id = :id")
    return (await db.execute(statement, {"id": webhook_id})).scalar()


async def test_every_field_round_trips_with_the_secret_encrypted_at_rest(
    open_db: async_sessionmaker[AsyncSession], secret_box: SecretBox, tenants: Tenants
) -> None:
    webhook = make_webhook(**EVERY_FIELD)
    async with open_db() as db:
        row = await WebhookRepository(db, secret_box).add(tenants.acme.id, webhook)
        await db.commit()
        assert row.revision == 1

    async with open_db() as db:
        repository = WebhookRepository(db, secret_box)
        stored = await repository.get(tenants.scope(tenants.acme), row.id)
        assert stored is not None
        raw = await raw_ciphertext(db, row.id)
        everything = (await db.execute(text("SELECT * FROM webhooks"))).all()
        assert raw is not None
        assert TOKEN not in str(everything)
        again = repository.definition(stored)

    assert again.to_data() == webhook.to_data() | {"company": "acme"}
    assert again.secrets() == [TOKEN]
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() is not None


async def test_basic_auth_and_no_auth_round_trip(db: AsyncSession, tenants: Tenants) -> None:
    repository = WebhookRepository(db, SecretBox([Fernet.generate_key().decode()]))
    basic = make_webhook(auth={"type": "basic", "username": "bot", "password": "pw-123"})
    plain = make_webhook(name="Plain")
    basic_row = await repository.add(tenants.acme.id, basic)
    plain_row = await repository.add(tenants.acme.id, plain)
    assert basic_row.definition["auth"] == {"type": "basic", "username": "bot"}
    assert "pw-123" not in (basic_row.auth_secret_ciphertext or "")
    assert repository.definition(basic_row).to_data() == basic.to_data() | {"company": "acme"}
    assert plain_row.auth_secret_ciphertext is None
    assert repository.definition(plain_row).to_data() == plain.to_data() | {"company": "acme"}


async def test_a_definition_without_its_secret_keeps_the_auth_shape(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    row = await WebhookRepository(db, secret_box).add(tenants.acme.id, make_webhook(**EVERY_FIELD))
    withheld = to_definition(row, None)
    assert withheld.auth.type == "bearer"
    assert withheld.secrets() == [WITHHELD_SECRET]  # the one stand-in, never the secret
    assert TOKEN not in str(withheld.to_data())


async def test_a_ciphertext_copied_to_another_webhook_does_not_decrypt(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    repository = WebhookRepository(db, secret_box)
    victim = await repository.add(tenants.acme.id, make_webhook(**EVERY_FIELD))
    same_company = await repository.add(tenants.acme.id, make_webhook(name="Mine"))
    other_company = await repository.add(tenants.cobalt.id, make_webhook(name="Theirs"))
    for target in (same_company, other_company):
        await db.execute(
            update(WebhookRow)
            .where(WebhookRow.id == target.id)
            .values(
                definition=target.definition | {"auth": {"type": "bearer"}},
                auth_secret_ciphertext=victim.auth_secret_ciphertext,
            )
        )
        copied = await repository.get(Scope.everything(), target.id)
        assert copied is not None
        await db.refresh(copied)
        with pytest.raises(SecretUnreadable):
            repository.definition(copied)


async def test_rotation_rewrites_ciphertexts_with_the_newest_key(
    db: AsyncSession, tenants: Tenants
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    row = await WebhookRepository(db, SecretBox([old])).add(
        tenants.acme.id, make_webhook(**EVERY_FIELD)
    )
    rotating = WebhookRepository(db, SecretBox([new, old]))
    assert rotating.secret(row) == TOKEN
    assert await rotating.rotate_secrets(Scope.everything()) == 1
    assert WebhookRepository(db, SecretBox([new])).secret(row) == TOKEN


async def test_foreign_rows_are_invisible(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    repository = WebhookRepository(db, secret_box)
    mine = await repository.add(tenants.acme.id, make_webhook(name="Mine"))
    theirs = await repository.add(tenants.cobalt.id, make_webhook(name="Theirs"))
    north = tenants.scope(tenants.acme, tenants.bolt)

    assert await repository.get(north, mine.id) is mine
    assert await repository.get(north, theirs.id) is None
    assert await repository.get(Scope.nothing(), mine.id) is None
    rows, total = await repository.list(north)
    assert [row.name for row in rows] == ["Mine"]
    assert total == 1
    assert await repository.list(north, company_id=tenants.cobalt.id) == ([], 0)
    changed = make_webhook(name="Hijacked")
    assert await repository.update(north, theirs.id, changed, expected_revision=1) is None
    assert await repository.delete(north, theirs.id) is False
    with pytest.raises(NotFound):
        await repository.update(
            north, mine.id, changed, expected_revision=1, company_id=tenants.cobalt.id
        )
    still = await repository.get(Scope.everything(), theirs.id)
    assert still is not None
    assert (still.name, still.company_id, still.revision) == ("Theirs", tenants.cobalt.id, 1)


async def test_list_searches_filters_and_pages(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    repository = WebhookRepository(db, secret_box)
    for name, company in [
        ("Order status", tenants.acme),
        ("order cancel", tenants.bolt),
        ("Stock", tenants.acme),
        ("100%_off", tenants.bolt),
    ]:
        await repository.add(company.id, make_webhook(name=name))
    north = tenants.scope(tenants.acme, tenants.bolt)

    rows, total = await repository.list(north, search="ORDER")
    assert ([row.name for row in rows], total) == (["order cancel", "Order status"], 2)
    rows, total = await repository.list(north, company_id=tenants.acme.id)
    assert ([row.name for row in rows], total) == (["Order status", "Stock"], 2)
    rows, total = await repository.list(north, search="%_")
    assert ([row.name for row in rows], total) == (["100%_off"], 1)
    rows, total = await repository.list(north, offset=1, limit=2)
    assert ([row.name for row in rows], total) == (["order cancel", "Order status"], 4)


async def test_update_checks_and_bumps_the_revision(
    open_db: async_sessionmaker[AsyncSession], secret_box: SecretBox, tenants: Tenants
) -> None:
    scope = tenants.scope(tenants.acme, tenants.bolt)
    async with open_db() as db:
        row = await WebhookRepository(db, secret_box).add(
            tenants.acme.id, make_webhook(**EVERY_FIELD), user_id=None
        )
        await db.commit()

    async with open_db() as first, open_db() as second:
        one = WebhookRepository(first, secret_box)
        two = WebhookRepository(second, secret_box)
        saved = await one.update(
            scope, row.id, make_webhook(name="First edit"), expected_revision=1
        )
        await first.commit()
        assert saved is not None
        assert (saved.name, saved.revision) == ("First edit", 2)
        assert saved.updated_at >= saved.created_at
        with pytest.raises(RevisionConflict) as conflict:
            await two.update(scope, row.id, make_webhook(name="Lost edit"), expected_revision=1)
        assert (conflict.value.expected, conflict.value.current) == (1, 2)
        await second.rollback()

    async with open_db() as db:
        repository = WebhookRepository(db, secret_box)
        current = await repository.get(scope, row.id)
        assert current is not None
        assert (current.name, current.revision, current.auth_type) == ("First edit", 2, "none")
        assert current.auth_secret_ciphertext is None


async def test_moving_a_webhook_rebinds_its_secret(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    repository = WebhookRepository(db, secret_box)
    north = tenants.scope(tenants.acme, tenants.bolt)
    row = await repository.add(tenants.acme.id, make_webhook(**EVERY_FIELD))
    moved = await repository.update(
        north, row.id, make_webhook(**EVERY_FIELD), expected_revision=1, company_id=tenants.bolt.id
    )
    assert moved is not None
    assert moved.company.slug == "bolt"
    definition: Webhook = repository.definition(moved)
    assert (definition.company, definition.secrets()) == ("bolt", [TOKEN])


async def test_delete_removes_the_webhook_and_its_runs(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    repository = WebhookRepository(db, secret_box)
    runs = RunRepository(db)
    row = await repository.add(tenants.acme.id, make_webhook())
    run = await runs.add(
        webhook_id=row.id, company_id=tenants.acme.id, webhook_revision=1, kind="test"
    )
    run_id = run.id
    scope = tenants.scope(tenants.acme)
    assert await repository.delete(scope, row.id) is True
    db.expunge_all()
    assert await repository.get(scope, row.id) is None
    assert await runs.get(scope, run_id) is None
    assert (await db.execute(select(WebhookRow))).all() == []


async def test_adding_to_an_unknown_company_fails(db: AsyncSession, secret_box: SecretBox) -> None:
    with pytest.raises(NotFound, match="company"):
        await WebhookRepository(db, secret_box).add(424242, make_webhook())
