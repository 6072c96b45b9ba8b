"""cURL in and out: import a pasted command as definition data, export a webhook as cURL."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from pydantic import ConfigDict

from hooksmith.api.deps import ActorDep
from hooksmith.api.inputs import Input
from hooksmith.deps import DbDep, Id, RuntimeDep
from hooksmith.service import curl

router = APIRouter(tags=["webhooks"])


class CurlCommand(Input):
    """A cURL command as pasted from API docs."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"curl": "curl -u sk_test: https://api.example.com"}]},
    )

    curl: str


@router.post("/import/curl")
async def import_curl(command: CurlCommand, actor: ActorDep) -> dict[str, Any]:
    """The definition data of a cURL command; nothing is saved (POST it to /webhooks to save)."""
    # Off the event loop: shlex reads a long command in tens of milliseconds.
    return await asyncio.to_thread(curl.import_curl, command.curl)


@router.get("/webhooks/{webhook_id}/curl", response_class=PlainTextResponse)
async def webhook_curl(
    webhook_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> PlainTextResponse:
    """The webhook as a cURL command; secrets are write-only, so they show as `$HOOKSMITH_…`."""
    text = await curl.webhook_as_curl(db, runtime.box, actor, webhook_id)
    return PlainTextResponse(text + "\n")


@router.get("/runs/{run_id}/curl", response_class=PlainTextResponse)
async def run_curl(run_id: str, actor: ActorDep, db: DbDep) -> PlainTextResponse:
    """A run's request as sent, as a cURL command; redacted secrets show as `$HOOKSMITH_…`."""
    return PlainTextResponse(await curl.run_as_curl(db, actor, run_id) + "\n")
