"""Webhook management routes: CRUD with pagination, search and company filter, and duplicate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from hooksmith.api.deps import ActorDep, Limit
from hooksmith.deps import DbDep, Id, Offset, RuntimeDep
from hooksmith.service import webhooks
from hooksmith.service.webhooks import PAGE_SIZE, Page, WebhookView

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

DEFINITION_EXAMPLE = {
    "name": "Order status",
    "method": "POST",
    "url": "https://api.example.com/orders/{{ orderNumber }}",
    "auth": {"type": "bearer", "token": "write-only"},
    "headers": [{"key": "Accept", "value": "application/json"}],
    "body": '{"session": "{{ certainly.sessionId }}"}',
    "custom_variables": [{"name": "status", "mapper": "response.status"}],
}
Definition = Annotated[
    dict[str, Any],
    Body(
        description="A webhook definition (docs/design.md#the-webhook); secrets are write-only.",
        examples=[DEFINITION_EXAMPLE],
    ),
]
Update = Annotated[
    dict[str, Any],
    Body(
        description="The whole definition plus the `revision` it was read at; an omitted "
        "secret is kept unless the URL's host changes.",
        examples=[DEFINITION_EXAMPLE | {"revision": 1, "auth": {"type": "bearer"}}],
    ),
]


@router.get("", response_model=Page[WebhookView])
async def list_webhooks(
    actor: ActorDep,
    runtime: RuntimeDep,
    db: DbDep,
    offset: Offset = 0,
    limit: Limit = PAGE_SIZE,
    search: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
    company: Annotated[str | None, Query(max_length=63, description="A company slug.")] = None,
) -> Page[WebhookView]:
    """The webhooks you may see, newest first, a page at a time; `search` matches part of
    the name and `company` (a slug, for agency users) narrows to one company. Secrets are
    never included: `auth` says only whether one is stored."""
    return await webhooks.list_webhooks(
        db, runtime.box, actor, search=search, company=company, offset=offset, limit=limit
    )


@router.post("", status_code=201, response_model=WebhookView)
async def create_webhook(
    actor: ActorDep, runtime: RuntimeDep, db: DbDep, definition: Definition
) -> WebhookView:
    """Create a webhook from its definition (422 naming the field when one is wrong). Company
    users' webhooks belong to their company; agency users choose one with `company`."""
    return await webhooks.create_webhook(db, runtime.box, actor, definition)


@router.get("/{webhook_id}", response_model=WebhookView)
async def get_webhook(
    webhook_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> WebhookView:
    """One webhook with its current `revision`; a webhook outside your companies answers 404."""
    return await webhooks.get_webhook(db, runtime.box, actor, webhook_id)


@router.put("/{webhook_id}", response_model=WebhookView)
async def update_webhook(
    webhook_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep, definition: Update
) -> WebhookView:
    """Replace the definition. Send the `revision` you read: a newer one answers 409 and
    changes nothing. An omitted secret is kept, unless the URL's host changes (then it is
    cleared and must be given again)."""
    return await webhooks.update_webhook(
        db, runtime.box, runtime.cache, actor, webhook_id, definition
    )


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(
    webhook_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> Response:
    """Delete a webhook and its runs."""
    await webhooks.delete_webhook(db, runtime.box, runtime.cache, actor, webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/duplicate", status_code=201, response_model=WebhookView)
async def duplicate_webhook(
    webhook_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> WebhookView:
    """A copy of the webhook named "… (copy)", in the same company, secrets included."""
    return await webhooks.duplicate_webhook(db, runtime.box, actor, webhook_id)
