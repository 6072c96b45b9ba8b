"""The Webhook Builder page (new and stored webhooks), a webhook's run history and one run.

The page is rendered with the stored values; its script saves and runs through the JSON API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hooksmith.service import overview
from hooksmith.service.webhooks import WebhookView
from hooksmith.web.deps import DbSession, PageUser, RuntimeDep
from hooksmith.web.pages import page

router = APIRouter(include_in_schema=False)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
RESPONSE_TYPES = (("json", "JSON"), ("xml", "XML"), ("text", "Text"))
EXECUTIONS = (("sync", "Synchronous"), ("async", "Asynchronous"))


def kept_fields(webhook: WebhookView | None) -> dict[str, Any]:
    """The stored fields the page has no controls for, so that a save from the page keeps them."""
    if webhook is None:
        return {}
    return {
        "retry": webhook.retry,
        "success_condition": webhook.success_condition,
        "defaults": {
            variable["name"]: variable["default"]
            for variable in webhook.custom_variables
            if variable.get("default") is not None
        },
    }


def _builder(request: Request, viewer: PageUser, choices: overview.BuilderChoices) -> Response:
    context = {
        "webhook": choices.webhook,
        "kept": kept_fields(choices.webhook),
        "companies": choices.companies,
        "methods": METHODS,
        "response_types": RESPONSE_TYPES,
        "executions": EXECUTIONS,
    }
    return page(request, "builder.html", viewer, context)


@router.get("/webhooks/new")
async def new_webhook(
    request: Request, viewer: PageUser, runtime: RuntimeDep, db: DbSession
) -> Response:
    return _builder(
        request, viewer, await overview.builder_choices(runtime, db, viewer.actor, None)
    )


@router.get("/webhooks/{webhook_id}")
async def edit_webhook(
    request: Request, webhook_id: int, viewer: PageUser, runtime: RuntimeDep, db: DbSession
) -> Response:
    choices = await overview.builder_choices(runtime, db, viewer.actor, webhook_id)
    return _builder(request, viewer, choices)


@router.get("/webhooks/{webhook_id}/runs")
async def run_history(
    request: Request,
    webhook_id: int,
    viewer: PageUser,
    runtime: RuntimeDep,
    db: DbSession,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    history = await overview.run_history(runtime, db, viewer.actor, webhook_id, offset=offset)
    return page(request, "runs.html", viewer, {"history": history})


@router.get("/runs/{run_id}")
async def run_detail(
    request: Request, run_id: str, viewer: PageUser, runtime: RuntimeDep, db: DbSession
) -> Response:
    detail = await overview.run_detail(runtime, db, viewer.actor, run_id)
    return page(request, "run.html", viewer, {"detail": detail})
