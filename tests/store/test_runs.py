from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine.result import ReceivedResponse, Result, ResultError
from hooksmith.store import NewRun, RunRepository, Scope, SecretBox, WebhookRepository
from hooksmith.store.models import WebhookRow
from hooksmith.store.runs import stored_result
from tests.database import Tenants
from tests.factories import make_webhook


def result(body: object = None, *, ok: bool = True, status: int = 200) -> Result:
    return Result(
        ok=ok,
        status=status,
        duration_ms=12.5,
        response=ReceivedResponse(status=status, body=body),
        custom_variables={"id": 7},
        error=None if ok else ResultError(kind="http_error", message="404 Not Found"),
    )


async def webhook(db: AsyncSession, box: SecretBox, company_id: int) -> WebhookRow:
    return await WebhookRepository(db, box).add(company_id, make_webhook())


async def test_a_run_is_added_and_finished(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await webhook(db, secret_box, tenants.acme.id)
    runs = RunRepository(db)
    run = await runs.add(
        webhook_id=hook.id,
        company_id=hook.company_id,
        webhook_revision=1,
        kind="live",
        session_id="conv-1",
    )
    assert (run.status, len(run.id)) == ("pending", 32)
    await runs.start(run.id)
    finished = await runs.finish(run.id, result({"order": {"id": 7}}, ok=False, status=404))
    assert finished is not None
    await db.commit()
    db.expunge_all()

    stored = await runs.get(tenants.scope(tenants.acme), run.id)
    assert stored is not None
    assert (stored.status, stored.ok, stored.http_status, stored.error_kind) == (
        "done",
        False,
        404,
        "http_error",
    )
    assert stored.session_id == "conv-1"
    assert stored.duration_ms == 12.5
    assert stored.result is not None
    assert stored.result["response"]["body"] == {"order": {"id": 7}}
    assert stored.result["custom_variables"] == {"id": 7}
    assert stored.response_truncated is False
    assert stored.finished_at is not None
    assert stored.finished_at.tzinfo is not None
    assert await runs.finish("0" * 32, result()) is None


async def test_long_response_bodies_are_truncated_with_a_flag(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await webhook(db, secret_box, tenants.acme.id)
    runs = RunRepository(db, response_limit=1000)
    for body, truncated, kept in [
        ("é" * 2000, True, 1000),
        ({"items": list(range(1000))}, True, 1000),
        ("short", False, 5),
    ]:
        run = await runs.add(
            webhook_id=hook.id, company_id=hook.company_id, webhook_revision=1, kind="test"
        )
        finished = await runs.finish(run.id, result(body))
        assert finished is not None
        assert finished.response_truncated is truncated
        assert finished.result is not None
        stored_body = finished.result["response"]["body"]
        size = len(stored_body.encode()) if isinstance(stored_body, str) else len(str(stored_body))
        assert size <= kept
        assert finished.result["response"]["truncated"] is truncated


async def test_history_is_scoped_and_newest_first(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await webhook(db, secret_box, tenants.acme.id)
    runs = RunRepository(db)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    written = await runs.add_many(
        [
            NewRun(
                webhook_id=hook.id,
                company_id=hook.company_id,
                webhook_revision=1,
                result=result(number),
                session_id=f"s{number}",
                created_at=start + timedelta(minutes=number),
            )
            for number in range(5)
        ]
    )
    assert written == 5
    rows, total = await runs.list_for_webhook(tenants.scope(tenants.acme), hook.id, limit=2)
    assert total == 5
    assert [row.session_id for row in rows] == ["s4", "s3"]
    assert all(row.kind == "live" and row.status == "done" for row in rows)
    assert rows[0].created_at == start + timedelta(minutes=4)

    foreign = tenants.scope(tenants.cobalt)
    assert await runs.list_for_webhook(foreign, hook.id) == ([], 0)
    assert await runs.get(foreign, rows[0].id) is None
    assert await runs.get(Scope.nothing(), rows[0].id) is None


async def test_add_many_drops_runs_of_deleted_webhooks(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    kept = await webhook(db, secret_box, tenants.acme.id)
    gone = await webhook(db, secret_box, tenants.acme.id)
    gone_id = gone.id
    await WebhookRepository(db, secret_box).delete(Scope.everything(), gone_id)
    runs = RunRepository(db)
    batch = [
        NewRun(webhook_id=hook_id, company_id=tenants.acme.id, webhook_revision=1, result=result())
        for hook_id in (kept.id, gone_id, kept.id)
    ]
    assert await runs.add_many(batch) == 2
    assert await runs.add_many([]) == 0
    _, total = await runs.list_for_webhook(Scope.everything(), kept.id)
    assert total == 2


async def test_add_many_drops_runs_whose_webhook_id_now_belongs_to_another_company(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await webhook(db, secret_box, tenants.bolt.id)
    # A run of acme's deleted webhook whose id SQLite gave to this new webhook of bolt's.
    stray = NewRun(
        webhook_id=hook.id, company_id=tenants.acme.id, webhook_revision=1, result=result()
    )
    assert await RunRepository(db).add_many([stray]) == 0


async def test_prune_deletes_only_old_runs(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await webhook(db, secret_box, tenants.acme.id)
    runs = RunRepository(db)
    now = datetime.now(UTC)
    await runs.add_many(
        [
            NewRun(
                webhook_id=hook.id,
                company_id=hook.company_id,
                webhook_revision=1,
                result=result(),
                session_id=str(age),
                created_at=now - timedelta(days=age),
            )
            for age in (45, 31, 29, 0)
        ]
    )
    assert await runs.prune(now - timedelta(days=30)) == 2
    rows, total = await runs.list_for_webhook(Scope.everything(), hook.id)
    assert total == 2
    assert sorted(row.session_id or "" for row in rows) == ["0", "29"]


async def test_batched_runs_store_the_result_as_finish_does(
    db: AsyncSession, secret_box: SecretBox, tenants: Tenants
) -> None:
    hook = await webhook(db, secret_box, tenants.acme.id)
    runs = RunRepository(db, response_limit=1000)
    short = result({"order": {"id": 7, "note": 'é\\"x'}})
    long = result({"items": list(range(500))})
    batch = [
        NewRun(webhook_id=hook.id, company_id=hook.company_id, webhook_revision=1, result=r)
        for r in (short, long)
    ]
    assert await runs.add_many(batch) == 2
    await db.commit()
    for run, given in zip(batch, (short, long), strict=True):
        stored = await runs.get(Scope.everything(), run.id)
        assert stored is not None
        await db.refresh(stored)
        expected, truncated = stored_result(given, 1000)
        assert (stored.result, stored.response_truncated) == (expected, truncated)
    assert stored.response_truncated is True  # the long one, cut as `finish` cuts it
