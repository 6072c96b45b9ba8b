"""Webhook revision routes: the history of saves, one revision, a diff of two, and restore."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from hooksmith.api.deps import ActorDep, Limit
from hooksmith.deps import DbDep, Id, Offset, RuntimeDep
from hooksmith.service import revisions
from hooksmith.service.revisions import RevisionDiff, RevisionView
from hooksmith.service.webhooks import PAGE_SIZE, Page, WebhookView
from hooksmith.store import MAX_ID

router = APIRouter(prefix="/webhooks/{webhook_id}/revisions", tags=["webhooks"])

Number = Annotated[int, Path(ge=1, le=MAX_ID, description="A revision number, as listed.")]
Restore = Annotated[
    dict[str, Any],
    Body(
        description="The webhook's current `revision`, as you read it (a newer save answers 409).",
        examples=[{"revision": 3}],
    ),
]


@router.get("", response_model=Page[RevisionView])
async def list_revisions(
    webhook_id: Id,
    actor: ActorDep,
    runtime: RuntimeDep,
    db: DbDep,
    offset: Offset = 0,
    limit: Limit = PAGE_SIZE,
) -> Page[RevisionView]:
    """The webhook's saved revisions, newest first, each with its author and time. Secrets are
    never included: `auth` says only whether one was set."""
    return await revisions.list_revisions(
        db, runtime.box, actor, webhook_id, offset=offset, limit=limit
    )


@router.get("/{revision}", response_model=RevisionView)
async def get_revision(
    webhook_id: Id, revision: Number, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> RevisionView:
    """One revision's definition as it was saved."""
    return await revisions.get_revision(db, runtime.box, actor, webhook_id, revision)


@router.get("/{before}/diff/{after}", response_model=RevisionDiff)
async def diff_revisions(
    webhook_id: Id,
    before: Number,
    after: Number,
    actor: ActorDep,
    runtime: RuntimeDep,
    db: DbDep,
) -> RevisionDiff:
    """The fields that changed from revision `before` to revision `after`, one by one."""
    return await revisions.diff_revisions(db, runtime.box, actor, webhook_id, before, after)


@router.post("/{revision}/restore", response_model=WebhookView)
async def restore_revision(
    webhook_id: Id,
    revision: Number,
    actor: ActorDep,
    runtime: RuntimeDep,
    db: DbDep,
    current: Restore,
) -> WebhookView:
    """Save this revision's definition as the webhook's next revision. The stored secret is
    kept only if that revision had one and the webhook sends to the same place; otherwise it
    must be given again (`needs_secret`)."""
    return await revisions.restore_revision(
        db, runtime.box, runtime.cache, actor, webhook_id, revision, current
    )
