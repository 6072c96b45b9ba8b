"""Template pages: the template library, "Create from template" (a form asks the name, the
Context values and the secret, then creates the webhook and opens it in the builder), "Save as
template" and applying a template's newer version from a webhook's page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from hooksmith.deps import DbDep, Id, RuntimeDep
from hooksmith.engine import InvalidDefinition
from hooksmith.service import templates, tenants
from hooksmith.service.errors import InvalidInput
from hooksmith.web.deps import FormUser, PageUser, Viewer, checked_form
from hooksmith.web.pages import page

router = APIRouter(include_in_schema=False)

Key = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Text = Annotated[str, Form(max_length=2000)]


@router.get("/templates")
async def template_library(
    request: Request,
    viewer: PageUser,
    db: DbDep,
    saved: Annotated[str | None, Query(max_length=63)] = None,
) -> Response:
    listed = await templates.list_templates(db, viewer.actor)
    return page(request, "templates.html", viewer, {"templates": listed, "saved": saved})


async def _use_page(
    request: Request,
    viewer: Viewer,
    db: DbDep,
    key: str,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    template = await templates.get_template(db, viewer.actor, key)
    companies = []
    if viewer.actor.is_agency and template.kind != "company":
        companies = await tenants.list_companies(db, viewer.actor)
    context = {
        "template": template,
        "companies": companies,
        "values": values or {"name": template.name, "context": dict(template.context)},
        "error": error,
    }
    return page(request, "template_use.html", viewer, context, status=status)


@router.get("/templates/{key}/use")
async def use_template(request: Request, key: Key, viewer: PageUser, db: DbDep) -> Response:
    return await _use_page(request, viewer, db, key)


@router.post("/templates/{key}/use")
async def create_from_template(
    request: Request, key: Key, viewer: PageUser, runtime: RuntimeDep, db: DbDep
) -> Response:
    form = await checked_form(request, viewer)
    template = await templates.get_template(db, viewer.actor, key)
    data: dict[str, Any] = {
        "name": str(form.get("name", ""))[:1000],
        "context": {name: str(form.get(f"context.{name}", ""))[:1000] for name in template.context},
    }
    for field in ("secret", "username", "company"):
        value = str(form.get(field, ""))[:8000]
        if value:
            data[field] = value
    try:
        made = await templates.create_from_template(db, runtime.box, viewer.actor, key, data)
    except (InvalidInput, InvalidDefinition) as error:
        await db.rollback()
        kept = {name: value for name, value in data.items() if name != "secret"}
        return await _use_page(
            request, viewer, db, key, values=kept, error=error.message, status=422
        )
    return RedirectResponse(f"/webhooks/{made.id}?from_template=1", status_code=303)


@router.post("/webhooks/{webhook_id}/save-as-template")
async def save_as_template(
    webhook_id: Id,
    viewer: FormUser,
    runtime: RuntimeDep,
    db: DbDep,
    name: Text,
    scope: Annotated[str, Form(max_length=20)] = "company",
    description: Text = "",
) -> Response:
    data = {"webhook_id": webhook_id, "name": name, "scope": scope, "description": description}
    saved = await templates.save_template(db, runtime.box, viewer.actor, data)
    return RedirectResponse(f"/templates?saved={saved.key}", status_code=303)


@router.post("/webhooks/{webhook_id}/template/apply")
async def apply_newer_version(
    request: Request, webhook_id: Id, viewer: PageUser, runtime: RuntimeDep, db: DbDep
) -> Response:
    form = await checked_form(request, viewer)
    current = str(form.get("current", ""))
    data: dict[str, Any] = {
        "revision": int(current) if current.isdigit() and len(current) <= 10 else None,
        "context": {
            name.removeprefix("context."): str(value)[:1000]
            for name, value in form.items()
            if name.startswith("context.")
        },
    }
    secret = str(form.get("secret", ""))[:8000]
    if secret:
        data["secret"] = secret
    await templates.apply_newer_version(
        db, runtime.box, runtime.cache, viewer.actor, webhook_id, data
    )
    return RedirectResponse(f"/webhooks/{webhook_id}?applied=1", status_code=303)
