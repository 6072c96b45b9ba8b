"""Draft routes: check a definition as typed, or run it, without saving it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from hooksmith.api.deps import ActorDep
from hooksmith.api.inputs import Input
from hooksmith.deps import DbDep, RuntimeDep
from hooksmith.engine import Result
from hooksmith.service import drafts
from hooksmith.service.drafts import DraftCheck

router = APIRouter(prefix="/drafts", tags=["runs"])


class Draft(Input):
    """A definition as typed (secrets may be omitted), the webhook it edits, if any, and sample
    conversation data for a run."""

    definition: dict[str, Any]
    webhook_id: int | None = Field(default=None, ge=1, le=2**62)
    conversation: dict[str, Any] = Field(default_factory=dict)


@router.post("/check", response_model=DraftCheck)
async def check_draft(draft: Draft, actor: ActorDep, runtime: RuntimeDep, db: DbDep) -> DraftCheck:
    """Every problem of the draft by field, and the stored secret that saving it would clear
    (`clears_secret`: its host differs from the saved webhook's)."""
    return await drafts.check_draft(runtime, db, actor, draft.definition, draft.webhook_id)


@router.post("/run", response_model=Result)
async def run_draft(draft: Draft, actor: ActorDep, runtime: RuntimeDep, db: DbDep) -> Response:
    """Execute the draft as it is: nothing is stored and no revision is made. With
    `webhook_id`, an omitted secret is the saved webhook's while the host is the same."""
    result = await drafts.run_draft(
        runtime, db, actor, draft.definition, draft.conversation, draft.webhook_id
    )
    return Response(result.model_dump_json(), media_type="application/json")
