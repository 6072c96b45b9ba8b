"""A webhook's revision history page: who saved which revision when, a diff of any two, and
Restore (which saves the chosen revision as a new one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from hooksmith.deps import DbDep, Id, Offset, RuntimeDep
from hooksmith.service import revisions, webhooks
from hooksmith.web.deps import FormUser, PageUser
from hooksmith.web.pages import page

router = APIRouter(include_in_schema=False)

RevisionNumber = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


@router.get("/webhooks/{webhook_id}/revisions")
async def revision_history(
    request: Request,
    webhook_id: Id,
    viewer: PageUser,
    runtime: RuntimeDep,
    db: DbDep,
    offset: Offset = 0,
    before: RevisionNumber = None,
    after: RevisionNumber = None,
) -> Response:
    webhook = await webhooks.get_webhook(db, runtime.box, viewer.actor, webhook_id)
    listed = await revisions.list_revisions(
        db, runtime.box, viewer.actor, webhook_id, offset=offset
    )
    diff = None
    if before is not None and after is not None:
        diff = await revisions.diff_revisions(
            db, runtime.box, viewer.actor, webhook_id, before, after
        )
    context = {"webhook": webhook, "revisions": listed, "diff": diff}
    return page(request, "revisions.html", viewer, context)


@router.post("/webhooks/{webhook_id}/revisions/{revision}/restore")
async def restore_revision(
    webhook_id: Id,
    revision: Id,
    viewer: FormUser,
    runtime: RuntimeDep,
    db: DbDep,
    current: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    await revisions.restore_revision(
        db, runtime.box, runtime.cache, viewer.actor, webhook_id, revision, {"revision": current}
    )
    return RedirectResponse(f"/webhooks/{webhook_id}/revisions", status_code=303)
