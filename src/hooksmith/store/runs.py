"""The run repository: stored executions (test and live), their results, history and retention."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import Result
from hooksmith.store.jsontext import RawJson, json_text
from hooksmith.store.models import RunRow, WebhookRow, utcnow
from hooksmith.store.scope import Scope

RESPONSE_LIMIT = 64 * 1024
RunKind = Literal["test", "live"]
_result_json = Result.__pydantic_serializer__.to_json


def new_run_id() -> str:
    return uuid.uuid4().hex


def stored_result(result: Result, limit: int = RESPONSE_LIMIT) -> tuple[dict[str, Any], bool]:
    """The result as JSON data with a response body longer than `limit` bytes cut to a string.

    Returns the data and whether the body was truncated (here or already by the engine).
    """
    data = result.model_dump(mode="json")
    response = data.get("response")
    if response is None:
        return data, False
    body = response.get("body")
    text = body if isinstance(body, str) else json_text(body)
    encoded = text.encode("utf-8")
    truncated = bool(response.get("truncated"))
    if len(encoded) > limit:
        # A parsed body past the limit is kept as the start of its JSON text.
        response["body"] = encoded[:limit].decode("utf-8", errors="ignore")
        response["truncated"] = truncated = True
    return data, truncated


def pending_run(
    *,
    webhook_id: int,
    company_id: int,
    webhook_revision: int,
    kind: RunKind,
    session_id: str | None,
    run_id: str | None = None,
) -> RunRow:
    """A new run waiting for its result (not yet added to a unit of work)."""
    return RunRow(
        id=run_id or new_run_id(),
        webhook_id=webhook_id,
        company_id=company_id,
        webhook_revision=webhook_revision,
        kind=kind,
        status="pending",
        session_id=session_id,
        response_truncated=False,
    )


def record_result(row: RunRow, result: Result, limit: int, finished_at: datetime) -> None:
    """Mark the run done with `result`, its response body bounded by `limit` bytes."""
    data, truncated = stored_result(result, limit)
    row.status = "done"
    row.ok = result.ok
    row.http_status = result.status
    row.duration_ms = result.duration_ms
    row.error_kind = result.error.kind if result.error else None
    row.result = data
    row.response_truncated = truncated
    row.finished_at = finished_at


@dataclass(frozen=True)
class NewRun:
    """A finished run waiting in the live-run writer's batch."""

    webhook_id: int
    company_id: int
    webhook_revision: int
    result: Result
    kind: RunKind = "live"
    session_id: str | None = None
    id: str = field(default_factory=new_run_id)
    created_at: datetime = field(default_factory=utcnow)
    finished_at: datetime = field(default_factory=utcnow)


class RunRepository:
    """Runs, always read through a `Scope`; results are stored with bounded response bodies."""

    def __init__(self, db: AsyncSession, *, response_limit: int = RESPONSE_LIMIT) -> None:
        self.db = db
        self.response_limit = response_limit

    async def add(
        self,
        *,
        webhook_id: int,
        company_id: int,
        webhook_revision: int,
        kind: RunKind,
        session_id: str | None = None,
        run_id: str | None = None,
    ) -> RunRow:
        """Record a pending run (its result comes later through `finish`)."""
        row = pending_run(
            webhook_id=webhook_id,
            company_id=company_id,
            webhook_revision=webhook_revision,
            kind=kind,
            session_id=session_id,
            run_id=run_id,
        )
        self.db.add(row)
        await self.db.flush()
        return row

    async def add_many(self, runs: Sequence[NewRun]) -> int:
        """Insert finished runs in one statement; runs of since-deleted webhooks are dropped.

        Returns how many runs were written.
        """
        if not runs:
            return 0
        wanted = {run.webhook_id for run in runs}
        # (id, company): SQLite may give a deleted webhook's id to a new one of another company.
        rows = await self.db.execute(
            select(WebhookRow.id, WebhookRow.company_id).where(WebhookRow.id.in_(wanted))
        )
        existing = {(webhook_id, company_id) for webhook_id, company_id in rows}
        values = [
            self._finished_values(run)
            for run in runs
            if (run.webhook_id, run.company_id) in existing
        ]
        if values:
            # Core's executemany: the ORM's bulk path costs about as much again per row.
            await self.db.execute(insert(RunRow.metadata.tables[RunRow.__tablename__]), values)
        return len(values)

    async def get(self, scope: Scope, run_id: str) -> RunRow | None:
        """The run, or None when it does not exist or lies outside `scope`."""
        statement = scope.apply(select(RunRow).where(RunRow.id == run_id), RunRow.company_id)
        return (await self.db.scalars(statement)).first()

    async def list_for_webhook(
        self, scope: Scope, webhook_id: int, *, offset: int = 0, limit: int = 50
    ) -> tuple[Sequence[RunRow], int]:
        """One page of the webhook's runs, newest first, and the total."""
        conditions = (RunRow.webhook_id == webhook_id, scope.condition(RunRow.company_id))
        total = await self.db.scalar(select(func.count()).select_from(RunRow).where(*conditions))
        rows = await self.db.scalars(
            select(RunRow)
            .where(*conditions)
            .order_by(RunRow.created_at.desc(), RunRow.id)
            .offset(offset)
            .limit(limit)
        )
        return rows.all(), total or 0

    async def start(self, run_id: str) -> None:
        """Mark a pending run as running."""
        await self.db.execute(
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.status == "pending")
            .values(status="running")
        )

    async def finish(self, run_id: str, result: Result) -> RunRow | None:
        """Store the result of a run and mark it done; None when there is no such run."""
        row = await self.db.get(RunRow, run_id)
        if row is None:
            return None
        record_result(row, result, self.response_limit, utcnow())
        row.mock = result.mock
        await self.db.flush()
        return row

    async def prune(self, older_than: datetime) -> int:
        """Delete every run created before `older_than`; returns how many were deleted."""
        changed = await self.db.execute(
            delete(RunRow)
            .where(RunRow.created_at < older_than)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(changed, "rowcount", 0))

    def _finished_values(self, run: NewRun) -> dict[str, Any]:
        text = _result_json(run.result)
        data: Any
        if len(text) <= self.response_limit:
            # Its response body is shorter still: the JSON text is stored as it is, without
            # the dict of `model_dump` and a second serialisation.
            response = run.result.response
            data, truncated = RawJson(text.decode()), bool(response and response.truncated)
        else:
            data, truncated = stored_result(run.result, self.response_limit)
        return {
            "id": run.id,
            "webhook_id": run.webhook_id,
            "company_id": run.company_id,
            "webhook_revision": run.webhook_revision,
            "kind": run.kind,
            "status": "done",
            "session_id": run.session_id,
            "ok": run.result.ok,
            "http_status": run.result.status,
            "duration_ms": run.result.duration_ms,
            "error_kind": run.result.error.kind if run.result.error else None,
            "result": data,
            "response_truncated": truncated,
            "created_at": run.created_at,
            "finished_at": run.finished_at,
            "mock": run.result.mock,
        }
