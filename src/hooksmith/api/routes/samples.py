"""Sample answer routes: a webhook's sample (typed or from a run) and runs against it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from hooksmith.api.deps import ActorDep
from hooksmith.api.inputs import Input
from hooksmith.deps import DbDep, Id, RuntimeDep
from hooksmith.engine import Result
from hooksmith.service import samples
from hooksmith.service.samples import SampleView

router = APIRouter(prefix="/webhooks/{webhook_id}/sample", tags=["samples"])


class HeaderInput(Input):
    key: str = Field(max_length=200)
    value: str = Field(max_length=8000)


class SampleInput(Input):
    """An answer as the API would send it."""

    status: int = Field(default=200, ge=100, le=599, description="The HTTP status.")
    headers: list[HeaderInput] = Field(
        default_factory=list,
        max_length=100,
        examples=[[{"key": "Content-Type", "value": "application/json"}]],
    )
    body: str = Field(default="", description="The body as the API would send it (text).")


class FromRun(Input):
    run_id: str = Field(
        pattern=r"^[0-9A-Za-z_-]{1,32}$", description="A run of this webhook that got an answer."
    )


class AgainstSample(Input):
    """Sample conversation data and, optionally, the builder's unsaved definition."""

    conversation: dict[str, Any] = Field(default_factory=dict)
    definition: dict[str, Any] | None = Field(
        default=None, description="A draft of this webhook to run instead of the saved one."
    )


@router.get("", response_model=SampleView)
async def get_sample(webhook_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep) -> SampleView:
    """The webhook's sample answer (404 when it has none)."""
    return await samples.get_sample(runtime, db, actor, webhook_id)


@router.put("", response_model=SampleView)
async def put_sample(
    webhook_id: Id, body: SampleInput, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> SampleView:
    """Store a typed sample answer (status, headers, body), replacing the webhook's sample.
    The body may be as large as a real answer may be."""
    return await samples.put_sample(
        runtime,
        db,
        actor,
        webhook_id,
        status=body.status,
        headers=[header.model_dump() for header in body.headers],
        body=body.body,
    )


@router.delete("", status_code=204)
async def delete_sample(
    webhook_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> Response:
    """Forget the webhook's sample answer."""
    await samples.delete_sample(runtime, db, actor, webhook_id)
    return Response(status_code=204)


@router.post("/from-run", response_model=SampleView)
async def sample_from_run(
    webhook_id: Id, body: FromRun, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> SampleView:
    """Take the answer of one of the webhook's runs (status, headers, body) as its sample."""
    return await samples.sample_from_run(runtime, db, actor, webhook_id, body.run_id)


@router.post("/run", response_model=Result)
async def run_against_sample(
    webhook_id: Id, body: AgainstSample, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> Response:
    """Run the webhook (or `definition`, a draft of it) with the sample as the API's answer:
    the result has the mapped custom variables and `mock: true`; nothing is sent or stored.
    Without a sample, the result's error kind is `no_sample`."""
    result = await samples.run_against_sample(
        runtime, db, actor, webhook_id, body.conversation, body.definition
    )
    return Response(result.model_dump_json(), media_type="application/json")
