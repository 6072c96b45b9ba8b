"""The "Secrets & variables" page of a company: list, add, rotate and delete its secrets (whose
values never reach the browser) and its variables."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from hooksmith.deps import DbDep, RuntimeDep, status_of
from hooksmith.service import company_values, tenants
from hooksmith.service.errors import ServiceError
from hooksmith.web.deps import FormUser, PageUser, Viewer
from hooksmith.web.pages import page

router = APIRouter(include_in_schema=False)

Slug = Annotated[str, Path(max_length=63)]
Name = Annotated[str, Path(max_length=200)]
FormName = Annotated[str, Form(max_length=200)]
FormValue = Annotated[str, Form(max_length=64 * 1024)]
SHOWN_ERRORS = frozenset({"invalid_input", "in_use", "duplicate", "not_found"})


async def _page(
    request: Request,
    viewer: Viewer,
    runtime: RuntimeDep,
    db: DbDep,
    company: str | None,
    *,
    error: ServiceError | None = None,
) -> Response:
    companies = await tenants.list_companies(db, viewer.actor)
    chosen = company or (companies[0].slug if companies else None)
    values = None
    if chosen is not None:
        values = await company_values.list_values(db, runtime.box, viewer.actor, chosen)
    context = {"companies": companies, "chosen": chosen, "values": values, "error": error}
    status = status_of(error) if error else 200
    return page(request, "company_values.html", viewer, context, status)


async def _changed(
    request: Request,
    viewer: Viewer,
    runtime: RuntimeDep,
    db: DbDep,
    company: str,
    change: Awaitable[object],
) -> Response:
    """Back to the page after `change`; a refused change shows the page with its error."""
    try:
        await change
    except ServiceError as error:
        if error.kind not in SHOWN_ERRORS:
            raise
        await db.rollback()
        return await _page(request, viewer, runtime, db, company, error=error)
    return _back(company)


def _back(company: str) -> Response:
    return RedirectResponse(f"/secrets?company={company}", status_code=303)


def _hosts(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@router.get("/secrets")
async def values_page(
    request: Request,
    viewer: PageUser,
    runtime: RuntimeDep,
    db: DbDep,
    company: Annotated[str | None, Query(max_length=63)] = None,
) -> Response:
    return await _page(request, viewer, runtime, db, company)


@router.post("/secrets/{company}/secrets")
async def put_secret(
    request: Request,
    company: Slug,
    viewer: FormUser,
    runtime: RuntimeDep,
    db: DbDep,
    name: FormName,
    allowed_hosts: FormValue,
    value: FormValue = "",
) -> Response:
    change = company_values.put_secret(
        db,
        runtime.box,
        viewer.actor,
        company,
        name.strip(),
        value or None,
        _hosts(allowed_hosts),
        cache=runtime.cache.values,
    )
    return await _changed(request, viewer, runtime, db, company, change)


@router.post("/secrets/{company}/secrets/{name}/delete")
async def delete_secret(
    request: Request,
    company: Slug,
    name: Name,
    viewer: FormUser,
    runtime: RuntimeDep,
    db: DbDep,
) -> Response:
    change = company_values.delete_secret(
        db, runtime.box, viewer.actor, company, name, cache=runtime.cache.values
    )
    return await _changed(request, viewer, runtime, db, company, change)


@router.post("/secrets/{company}/variables")
async def put_variable(
    request: Request,
    company: Slug,
    viewer: FormUser,
    runtime: RuntimeDep,
    db: DbDep,
    name: FormName,
    value: FormValue = "",
) -> Response:
    change = company_values.put_variable(
        db, runtime.box, viewer.actor, company, name.strip(), value, cache=runtime.cache.values
    )
    return await _changed(request, viewer, runtime, db, company, change)


@router.post("/secrets/{company}/variables/{name}/delete")
async def delete_variable(
    request: Request,
    company: Slug,
    name: Name,
    viewer: FormUser,
    runtime: RuntimeDep,
    db: DbDep,
) -> Response:
    change = company_values.delete_variable(
        db, runtime.box, viewer.actor, company, name, cache=runtime.cache.values
    )
    return await _changed(request, viewer, runtime, db, company, change)
