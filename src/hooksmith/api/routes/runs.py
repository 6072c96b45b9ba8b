"""Run routes: test runs, the runtime execute endpoint, run history and runs by id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from hooksmith.api.deps import ActorDep, Limit, Offset, RuntimeDep, SessionDep
from hooksmith.engine import Result
from hooksmith.service import runs
from hooksmith.service.runs import PendingRun, RunView
from hooksmith.service.webhooks import Page

router = APIRouter(tags=["runs"])


class SampleConversation(BaseModel):
    """Sample conversation data for a test run from the builder."""

    model_config = ConfigDict(extra="forbid")

    conversation: dict[str, Any] = Field(default_factory=dict)


class Pending(BaseModel):
    run_id: str
    status: str


Conversation = Annotated[
    dict[str, Any] | None,
    Body(
        description="The conversation data (certainly, fb, custom variables at top level).",
        examples=[{"certainly": {"sessionId": "s-1"}, "userName": "Ana"}],
    ),
]


@router.post("/webhooks/{webhook_id}/test", response_model=RunView)
async def run_test(
    webhook_id: int,
    actor: ActorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    sample: SampleConversation | None = None,
) -> RunView:
    conversation = sample.conversation if sample is not None else {}
    return await runs.run_test(runtime, session, actor, webhook_id, conversation)


@router.post(
    "/webhooks/{webhook_id}/execute",
    response_model=Result,
    responses={202: {"model": Pending, "description": "An async webhook: its pending run."}},
)
async def execute_webhook(
    webhook_id: int, actor: ActorDep, runtime: RuntimeDep, conversation: Conversation = None
) -> Response:
    outcome = await runs.execute(runtime, actor, webhook_id, conversation)
    if isinstance(outcome, PendingRun):
        return JSONResponse({"run_id": outcome.run_id, "status": outcome.status}, status_code=202)
    return Response(outcome.model_dump_json(), media_type="application/json")


@router.get("/webhooks/{webhook_id}/runs", response_model=Page[RunView])
async def list_runs(
    webhook_id: int,
    actor: ActorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[RunView]:
    return await runs.list_runs(runtime, session, actor, webhook_id, offset=offset, limit=limit)


@router.get("/runs/{run_id}", response_model=RunView)
async def get_run(run_id: str, actor: ActorDep, session: SessionDep) -> RunView:
    return await runs.get_run(session, actor, run_id)
