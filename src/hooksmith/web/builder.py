"""The Webhook Builder page (new, from a template, and stored webhooks), a webhook's run
history and one run.

The page is rendered with the values to show; its script saves and runs through the JSON API.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hooksmith.deps import DbDep, Id, Offset, RuntimeDep
from hooksmith.engine import Webhook
from hooksmith.service import overview, templates
from hooksmith.service.errors import NotFound
from hooksmith.service.webhooks import WebhookView
from hooksmith.web.deps import PageUser
from hooksmith.web.pages import page
from hooksmith.web.starters import Starter, find_starter

router = APIRouter(include_in_schema=False)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
RESPONSE_TYPES = (("json", "JSON"), ("xml", "XML"), ("text", "Text"))
EXECUTIONS = (("sync", "Synchronous"), ("async", "Asynchronous"))
RETRY_REASONS = (
    ("connect_error", "Connection error"),
    ("timeout", "Time-out"),
    ("429", "429 Too Many Requests"),
    ("502", "502 Bad Gateway"),
    ("503", "503 Service Unavailable"),
    ("504", "504 Gateway Timeout"),
)


def new_form() -> dict[str, Any]:
    """A new webhook's form: every field's default (the name and URL empty)."""
    return Webhook.model_construct(name="", url="").to_data()


def default_text(value: Any) -> str:
    """A custom variable's default as typed in the builder: JSON text, except that a string is
    shown as itself unless it would read back as another JSON value (`"7"` stays quoted)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False)


def _retry_form(retry: dict[str, Any] | None) -> dict[str, Any]:
    stored = retry or {}
    reasons = stored.get("on", [value for value, _ in RETRY_REASONS])
    return {
        "attempts": stored.get("attempts", 0),
        "on": [str(reason) for reason in reasons],
        "non_idempotent": bool(stored.get("non_idempotent", False)),
    }


def form_values(webhook: WebhookView | None, starter: Starter | None = None) -> dict[str, Any]:
    """What the builder's controls show: the stored webhook, else a template's or empty values."""
    if webhook is not None:
        values = webhook.model_dump(mode="json")
    else:
        values = new_form() | (dict(starter.definition) if starter else {})
    values["retry"] = _retry_form(values["retry"])
    values["custom_variables"] = [
        {**variable, "default_text": default_text(variable.get("default"))}
        for variable in values["custom_variables"]
    ]
    return values


def _builder(
    request: Request,
    viewer: PageUser,
    choices: overview.BuilderChoices,
    starter: Starter | None = None,
    origin: templates.OriginView | None = None,
) -> Response:
    context = {
        "origin": origin,
        "webhook": choices.webhook,
        "form": form_values(choices.webhook, starter),
        "starter": starter,
        "companies": choices.companies,
        "methods": METHODS,
        "response_types": RESPONSE_TYPES,
        "executions": EXECUTIONS,
        "retry_reasons": RETRY_REASONS,
        "charts_of_runs": choices.charts,
    }
    return page(request, "builder.html", viewer, context)


@router.get("/webhooks/new")
async def new_webhook(
    request: Request,
    viewer: PageUser,
    runtime: RuntimeDep,
    db: DbDep,
    template: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    starter = None
    if template:
        starter = find_starter(template)
        if starter is None:
            raise NotFound(f"template: there is no template {template!r}", field="template")
    choices = await overview.builder_choices(runtime, db, viewer.actor, None)
    return _builder(request, viewer, choices, starter)


@router.get("/webhooks/{webhook_id}")
async def edit_webhook(
    request: Request, webhook_id: Id, viewer: PageUser, runtime: RuntimeDep, db: DbDep
) -> Response:
    choices = await overview.builder_choices(runtime, db, viewer.actor, webhook_id)
    origin = await templates.webhook_origin(db, runtime.box, viewer.actor, webhook_id)
    return _builder(request, viewer, choices, origin=origin)


@router.get("/webhooks/{webhook_id}/runs")
async def run_history(
    request: Request,
    webhook_id: Id,
    viewer: PageUser,
    runtime: RuntimeDep,
    db: DbDep,
    offset: Offset = 0,
) -> Response:
    history = await overview.run_history(runtime, db, viewer.actor, webhook_id, offset=offset)
    return page(request, "runs.html", viewer, {"history": history})


@router.get("/runs/{run_id}")
async def run_detail(
    request: Request, run_id: str, viewer: PageUser, runtime: RuntimeDep, db: DbDep
) -> Response:
    detail = await overview.run_detail(runtime, db, viewer.actor, run_id)
    return page(request, "run.html", viewer, {"detail": detail})
