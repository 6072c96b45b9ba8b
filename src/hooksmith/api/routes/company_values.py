"""A company's secrets (write-only) and variables, used by its webhooks by name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import Field

from hooksmith.api.deps import ActorDep
from hooksmith.api.inputs import Input
from hooksmith.deps import DbDep, RuntimeDep
from hooksmith.service import company_values
from hooksmith.service.company_values import SecretView, VariableView

router = APIRouter(tags=["secrets and variables"])

CompanySlug = Annotated[str, Path(max_length=63, description="The company's slug.")]
ValueName = Annotated[
    str, Path(max_length=200, description="The name, as `{{ secrets.NAME }}` uses it.")
]


class SecretInput(Input):
    value: str | None = Field(
        default=None,
        max_length=64 * 1024,
        description="The secret's value (write-only). Omit to keep the stored value and change "
        "only the allowed hosts; a new value rotates the secret.",
    )
    allowed_hosts: list[str] = Field(
        description="The hosts a request carrying this secret may go to: `api.example.com`, "
        "or `*.example.com` for every host under it. Checked on every redirect hop.",
        max_length=1000,
    )


class VariableInput(Input):
    value: str = Field(max_length=64 * 1024, description="The variable's value (not secret).")


@router.get("/companies/{company}/secrets", response_model=list[SecretView])
async def list_secrets(
    company: CompanySlug, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> list[SecretView]:
    """The company's secrets: names, allowed hosts, dates and the webhooks that use each;
    never their values."""
    view = await company_values.list_values(db, runtime.box, actor, company)
    return view.secrets


@router.put("/companies/{company}/secrets/{name}", response_model=SecretView)
async def put_secret(
    company: CompanySlug,
    name: ValueName,
    body: SecretInput,
    actor: ActorDep,
    runtime: RuntimeDep,
    db: DbDep,
) -> SecretView:
    """Create a secret, or rotate it with a new `value`; the next execute on every server uses
    the new value."""
    view, _ = await company_values.put_secret(
        db,
        runtime.box,
        actor,
        company,
        name,
        body.value,
        body.allowed_hosts,
        cache=runtime.cache.values,
    )
    return view


@router.delete("/companies/{company}/secrets/{name}", status_code=204)
async def delete_secret(
    company: CompanySlug, name: ValueName, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> Response:
    """Delete a secret; while webhooks still use it the answer is 409 naming them."""
    await company_values.delete_secret(
        db, runtime.box, actor, company, name, cache=runtime.cache.values
    )
    return Response(status_code=204)


@router.get("/companies/{company}/variables", response_model=list[VariableView])
async def list_variables(
    company: CompanySlug, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> list[VariableView]:
    """The company's variables with their values and the webhooks that use each."""
    view = await company_values.list_values(db, runtime.box, actor, company)
    return view.variables


@router.put("/companies/{company}/variables/{name}", response_model=VariableView)
async def put_variable(
    company: CompanySlug,
    name: ValueName,
    body: VariableInput,
    actor: ActorDep,
    runtime: RuntimeDep,
    db: DbDep,
) -> VariableView:
    """Create or change a variable (`{{ vars.NAME }}`)."""
    return await company_values.put_variable(
        db, runtime.box, actor, company, name, body.value, cache=runtime.cache.values
    )


@router.delete("/companies/{company}/variables/{name}", status_code=204)
async def delete_variable(
    company: CompanySlug, name: ValueName, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> Response:
    """Delete a variable; while webhooks still use it the answer is 409 naming them."""
    await company_values.delete_variable(
        db, runtime.box, actor, company, name, cache=runtime.cache.values
    )
    return Response(status_code=204)
