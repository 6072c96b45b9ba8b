"""Who am I, and the admin routes for companies, users and API tokens."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import Field

from hooksmith.api.deps import ActorDep
from hooksmith.api.inputs import Input
from hooksmith.deps import DbDep, Id, RuntimeDep
from hooksmith.service import callback_secrets, signed_in, tenants
from hooksmith.service.callback_secrets import NewCallbackSecret
from hooksmith.service.tenants import CompanyView, Me, NewToken, TokenView, UserView

router = APIRouter(tags=["tenants"])


class NewCompany(Input):
    slug: str = Field(max_length=63)
    name: str = Field(max_length=200)


class NewUser(Input):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)
    company: str | None = Field(default=None, description="Omit for a user of your agency.")
    is_admin: bool = False


class NewTokenRequest(Input):
    name: str = Field(max_length=200)
    company: str | None = Field(default=None, description="Omit for a token of your agency.")
    environment: Literal["production", "staging"] = Field(
        default="production",
        description="A staging token's executes answer from the webhooks' samples while the "
        "company's mock switch is on; a production token always sends.",
    )


class MockSwitch(Input):
    mock_staging: bool = Field(description="Whether staging tokens answer from the samples.")


@router.get("/me", response_model=Me)
async def who_am_i(actor: ActorDep, db: DbDep) -> Me:
    """Who the caller is (user or token), its role, and the companies it may act on."""
    return await tenants.me(db, actor)


@router.get("/companies", response_model=list[CompanyView])
async def list_companies(actor: ActorDep, db: DbDep) -> list[CompanyView]:
    """The companies you may see and assign webhooks to."""
    return await tenants.list_companies(db, actor)


@router.post("/companies", status_code=201, response_model=CompanyView)
async def create_company(
    body: NewCompany, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> CompanyView:
    """Create a company in your agency (agency administrators; the operator may choose
    the agency). Its slug is what webhooks and tokens name it by."""
    return await tenants.create_company(db, actor, body.slug, body.name, actors=runtime.actors)


@router.post(
    "/companies/{company}/callback-secret", status_code=201, response_model=NewCallbackSecret
)
async def rotate_callback_secret(
    company: Annotated[str, Path(max_length=63, description="The company's slug.")],
    actor: ActorDep,
    runtime: RuntimeDep,
    db: DbDep,
) -> NewCallbackSecret:
    """A new secret that signs the company's callbacks, shown only in this answer; the previous
    one keeps signing beside it (a second `v1=`) until `previous_valid_until`."""
    return await callback_secrets.rotate_callback_secret(
        db,
        runtime.box,
        actor,
        company,
        overlap=runtime.settings.callback_secret_overlap_seconds,
    )


@router.put("/companies/{company}/mock", response_model=CompanyView)
async def set_mock_switch(
    company: Annotated[str, Path(max_length=63, description="The company's slug.")],
    body: MockSwitch,
    actor: ActorDep,
    db: DbDep,
) -> CompanyView:
    """Turn the company's mock switch on or off (administrators): while on, executes with its
    staging tokens answer from each webhook's sample answer and send nothing."""
    return await tenants.set_mock_switch(db, actor, company, body.mock_staging)


@router.get("/users", response_model=list[UserView])
async def list_users(actor: ActorDep, db: DbDep) -> list[UserView]:
    """The users of your agency and its companies (administrators)."""
    return await tenants.list_users(db, actor)


@router.post("/users", status_code=201, response_model=UserView)
async def create_user(body: NewUser, actor: ActorDep, db: DbDep) -> UserView:
    """Create a user of your agency, or of one of its companies when `company` is given
    (administrators)."""
    return await tenants.create_user(
        db, actor, body.email, body.password, company=body.company, is_admin=body.is_admin
    )


@router.delete("/users/{user_id}/sessions", status_code=204)
async def end_user_sessions(
    user_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep
) -> Response:
    """End every session of a user of your agency or companies: their cookies answer 401."""
    await signed_in.end_user_sessions(db, actor, user_id, runtime.signed_in)
    return Response(status_code=204)


@router.get("/tokens", response_model=list[TokenView])
async def list_tokens(actor: ActorDep, db: DbDep) -> list[TokenView]:
    """The API tokens of your agency and its companies, without their plaintext."""
    return await tenants.list_tokens(db, actor)


@router.post("/tokens", status_code=201, response_model=NewToken)
async def create_token(body: NewTokenRequest, actor: ActorDep, db: DbDep) -> NewToken:
    """Create an API token for a bot runtime or a CI job. The plaintext is in this answer
    only; hooksmith keeps its hash."""
    return await tenants.create_token(
        db, actor, body.name, company=body.company, environment=body.environment
    )


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(token_id: Id, actor: ActorDep, runtime: RuntimeDep, db: DbDep) -> Response:
    """Revoke a token at once, on every server."""
    await tenants.revoke_token(db, actor, token_id, actors=runtime.actors)
    return Response(status_code=204)
