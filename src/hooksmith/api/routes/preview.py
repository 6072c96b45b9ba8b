"""Render-only preview of a draft webhook: the request it would send; nothing is sent or stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from hooksmith.api.deps import ActorDep
from hooksmith.api.inputs import Input
from hooksmith.deps import RuntimeDep
from hooksmith.engine import Result
from hooksmith.service import preview

router = APIRouter(tags=["runs"])


class Draft(Input):
    """A definition as typed (secrets may be omitted) and sample conversation data."""

    definition: dict[str, Any]
    conversation: dict[str, Any] = Field(default_factory=dict)


@router.post("/render", response_model=Result)
async def render_draft(draft: Draft, actor: ActorDep, runtime: RuntimeDep) -> Response:
    """The result object of rendering `definition` (request only, or a `render_error`)."""
    result = await preview.render_draft(runtime, actor, draft.definition, draft.conversation)
    return Response(result.model_dump_json(), media_type="application/json")
