"""Run routes: test runs, the runtime execute endpoint, run history and runs by id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from hooksmith.api.deps import ActorDep, Limit, get_actor
from hooksmith.api.inputs import Input
from hooksmith.api.traces import trace_of
from hooksmith.deps import DbDep, Id, Offset, RuntimeDep, get_runtime
from hooksmith.engine import JsonRefused, Result, load_json
from hooksmith.service import runs
from hooksmith.service.errors import InvalidInput
from hooksmith.service.runs import PendingRun, RunView
from hooksmith.service.webhooks import PAGE_SIZE, Page

router = APIRouter(tags=["runs"])


class SampleConversation(Input):
    """Sample conversation data for a test run from the builder."""

    conversation: dict[str, Any] = Field(default_factory=dict)


class Pending(BaseModel):
    run_id: str
    status: str


EXECUTE_BODY: dict[str, Any] = {
    "description": "The conversation data (certainly, fb, custom variables at top level).",
    "required": False,
    "content": {
        "application/json": {
            "schema": {"type": "object", "additionalProperties": True},
            "example": {"certainly": {"sessionId": "s-1"}, "userName": "Ana"},
        }
    },
}

CALLBACK_URL: dict[str, Any] = {
    "name": "callback_url",
    "in": "query",
    "required": False,
    "description": "Async webhooks: POST the signed result here when the run is done (a query "
    "parameter, so the body stays the conversation object).",
    "schema": {"type": "string", "format": "uri", "maxLength": 2000},
}

TRACEPARENT: dict[str, Any] = {
    "name": "traceparent",
    "in": "header",
    "required": False,
    "description": "W3C Trace Context: the webhook's request to its API is sent as a new span "
    "of this trace (same trace-id, a new parent-id, the flags kept), unless the webhook sets "
    "a traceparent header itself. An invalid value is ignored.",
    "schema": {
        "type": "string",
        "example": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    },
}

TRACESTATE: dict[str, Any] = {
    "name": "tracestate",
    "in": "header",
    "required": False,
    "description": "W3C Trace Context: passed on unchanged with a valid traceparent.",
    "schema": {"type": "string", "maxLength": 512},
}

REQUEST_ID: dict[str, Any] = {
    "name": "X-Request-Id",
    "in": "header",
    "required": False,
    "description": "Your id of this request (1-128 letters, digits and ._:+=/@-), answered in "
    "the X-Request-Id response header and logged; any other value is replaced by a new id.",
    "schema": {"type": "string", "maxLength": 128},
}


@router.post("/webhooks/{webhook_id}/test", response_model=RunView)
async def run_test(
    webhook_id: Id,
    actor: ActorDep,
    runtime: RuntimeDep,
    db: DbDep,
    sample: SampleConversation | None = None,
) -> RunView:
    """Run the saved webhook with sample conversation data, as the builder's Run button does;
    the run is stored in the history and its result returned (also for async webhooks)."""
    conversation = sample.conversation if sample is not None else {}
    return await runs.run_test(runtime, db, actor, webhook_id, conversation)


@router.post(
    "/webhooks/{webhook_id}/execute",
    response_model=Result,
    responses={202: {"model": Pending, "description": "An async webhook: its pending run."}},
    openapi_extra={
        "requestBody": EXECUTE_BODY,
        "parameters": [CALLBACK_URL, TRACEPARENT, TRACESTATE, REQUEST_ID],
    },
)
async def execute_webhook(webhook_id: Id, request: Request) -> Response:
    """Execute the webhook for a live conversation: the body is the conversation's data.
    A sync webhook answers its result object (custom variables, status, error) within its
    time-out; an async one answers 202 with a run id, read later from `/runs/{run_id}` or
    POSTed, signed, to `callback_url`. The webhook's failures are in the result (200), not in
    the status: 4xx/5xx mean the call itself was refused (auth, limits, unknown id)."""
    # The hot path of the runtime API: the caller and the body are read here rather than
    # through dependencies and a body model (validating the conversation copies it), and the
    # result is sent as it serializes, without a second validation against the response model.
    body = await request.body()  # before the caller: a CSRF form field would consume it
    runtime = await get_runtime(request)
    actor = await get_actor(request, runtime)
    answer = await runs.execute(
        runtime,
        actor,
        webhook_id,
        conversation_of(body, runtime.settings.max_json_depth),
        callback_url=request.query_params.get("callback_url"),
        trace=trace_of(request.scope["headers"]),
    )
    if isinstance(answer, PendingRun):
        return JSONResponse({"run_id": answer.run_id, "status": answer.status}, status_code=202)
    return Response(answer.model_dump_json(), media_type="application/json")


def conversation_of(body: bytes, max_depth: int) -> Any:
    if not body.strip():
        return None
    try:
        return load_json(body, max_depth=max_depth)
    except JsonRefused as refused:
        raise InvalidInput(f"body: not JSON hooksmith accepts ({refused})", field="body") from None


@router.get("/webhooks/{webhook_id}/runs", response_model=Page[RunView])
async def list_runs(
    webhook_id: Id,
    actor: ActorDep,
    runtime: RuntimeDep,
    db: DbDep,
    offset: Offset = 0,
    limit: Limit = PAGE_SIZE,
) -> Page[RunView]:
    """The webhook's runs (live and test), newest first, a page at a time."""
    return await runs.list_runs(runtime, db, actor, webhook_id, offset=offset, limit=limit)


@router.get("/runs/{run_id}", response_model=RunView)
async def get_run(run_id: str, actor: ActorDep, db: DbDep) -> RunView:
    """One run by id: its status (`pending`, `running`, `done`) and, once done, its result."""
    return await runs.get_run(db, actor, run_id)
