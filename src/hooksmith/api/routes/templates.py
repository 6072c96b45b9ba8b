"""Webhook template routes (WHT): the library, saving a webhook as a template, new versions,
diffs, creating a webhook from a template, and a webhook's origin and newer version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response

from hooksmith.api.deps import ActorDep
from hooksmith.deps import DbDep, Id, RuntimeDep
from hooksmith.service import templates
from hooksmith.service.templates import OriginView, TemplateDiff, TemplateView
from hooksmith.service.webhooks import WebhookView
from hooksmith.store import MAX_ID

router = APIRouter(tags=["templates"])

Key = Annotated[
    str,
    Path(
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
        description="A stored template's id, or a built-in template's slug, as listed.",
    ),
]
Version = Annotated[int, Path(ge=1, le=MAX_ID, description="A template version number.")]
SaveAs = Annotated[
    dict[str, Any],
    Body(
        description="The stored webhook to save as a template (`webhook_id`), `scope` "
        "(`company` or `agency`), and an optional `name` and `description`.",
        examples=[{"webhook_id": 7, "scope": "agency", "name": "Help-desk ticket"}],
    ),
]
NewVersion = Annotated[
    dict[str, Any],
    Body(
        description="The `version` you read, and the next version's `definition` (no secret) "
        "or a stored webhook to take it from (`webhook_id`); `name` and `description` optional.",
        examples=[{"version": 1, "webhook_id": 7}],
    ),
]
FromTemplate = Annotated[
    dict[str, Any],
    Body(
        description="The new webhook's `name`, its `context` values, the auth's `secret` "
        "(and basic `username`), and for agency users the `company`.",
        examples=[
            {
                "name": "Acme tickets",
                "context": {"subdomain": "acme"},
                "secret": "write-only",
                "company": "acme",
            }
        ],
    ),
]
Apply = Annotated[
    dict[str, Any],
    Body(
        description="The webhook's current `revision`; `context` for Context keys the newer "
        "version adds; `secret` when its auth type changes.",
        examples=[{"revision": 3}],
    ),
]


@router.get("/templates", response_model=list[TemplateView])
async def list_templates(actor: ActorDep, db: DbDep) -> list[TemplateView]:
    """The templates you may use: the built-in library, your agency's and your companies'.
    Each says its Context keys and which secret its auth needs; none holds a secret."""
    return await templates.list_templates(db, actor)


@router.post("/templates", status_code=201, response_model=TemplateView)
async def save_template(
    actor: ActorDep, runtime: RuntimeDep, db: DbDep, data: SaveAs
) -> TemplateView:
    """Save a stored webhook as a template, company-wide or agency-wide (agency users only).
    The secret and the Context values are left out; the webhook counts as made from it."""
    return await templates.save_template(db, runtime.box, actor, data)


@router.get("/templates/{template}", response_model=TemplateView)
async def get_template(template: Key, actor: ActorDep, db: DbDep) -> TemplateView:
    """One template's newest version: its definition, Context keys and the secret it needs."""
    return await templates.get_template(db, actor, template)


@router.put("/templates/{template}", response_model=TemplateView)
async def update_template(
    template: Key, actor: ActorDep, runtime: RuntimeDep, db: DbDep, data: NewVersion
) -> TemplateView:
    """Save the template's next version. Webhooks made from it change only when a newer
    version is applied to them. Built-ins answer 403; a stale `version` answers 409."""
    return await templates.update_template(db, runtime.box, actor, template, data)


@router.delete("/templates/{template}", status_code=204)
async def delete_template(template: Key, actor: ActorDep, db: DbDep) -> Response:
    """Delete a stored template and its versions; webhooks made from it stay as they are, no
    longer linked to it."""
    await templates.delete_template(db, actor, template)
    return Response(status_code=204)


@router.get("/templates/{template}/versions/{before}/diff/{after}", response_model=TemplateDiff)
async def diff_versions(
    template: Key, before: Version, after: Version, actor: ActorDep, db: DbDep
) -> TemplateDiff:
    """The fields that changed from version `before` of the template to version `after`."""
    return await templates.diff_versions(db, actor, template, before, after)


@router.post("/templates/{template}/webhooks", status_code=201, response_model=WebhookView)
async def create_from_template(
    template: Key, actor: ActorDep, runtime: RuntimeDep, db: DbDep, data: FromTemplate
) -> WebhookView:
    """Create a webhook from the template's newest version with your Context values and
    secret, through the same checks as any new webhook; it records the template it came from."""
    return await templates.create_from_template(db, runtime.box, actor, template, data)


@router.get("/webhooks/{webhook_id}/template", response_model=OriginView)
async def webhook_origin(
    webhook_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> OriginView:
    """The template the webhook was made from, its version, and, when a newer version exists,
    the fields it changes. `template` is null for a webhook made from none."""
    return await templates.webhook_origin(db, runtime.box, actor, webhook_id)


@router.post("/webhooks/{webhook_id}/template/apply", response_model=WebhookView)
async def apply_newer_version(
    webhook_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep, data: Apply
) -> WebhookView:
    """Take the template's newest version as the webhook's next revision: only the fields the
    template changed; the webhook's name, Context values and secret stay."""
    return await templates.apply_newer_version(
        db, runtime.box, runtime.cache, actor, webhook_id, data
    )
