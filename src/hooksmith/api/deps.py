"""FastAPI dependencies as `Annotated` aliases: the runtime, a database session, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.service.actors import Actor
from hooksmith.service.cookies import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    csrf_ok,
)
from hooksmith.service.errors import Forbidden, Unauthorized
from hooksmith.service.runtime import Runtime
from hooksmith.store import MAX_ID

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_db(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A database session for one request; what it did not commit is rolled back."""
    async with runtime.open_db() as db:
        yield db


DbDep = Annotated[AsyncSession, Depends(get_db)]


async def _submitted_csrf(request: Request) -> str | None:
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    return submitted


async def get_actor(request: Request, runtime: RuntimeDep) -> Actor:
    """The caller: an `Authorization: Bearer` API token, else the session cookie (with its CSRF
    token on state-changing requests)."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("Authorization: send 'Bearer <API token>'")
        return await runtime.actors.for_token(value.strip())
    person = await runtime.actors.for_cookie(request.cookies.get(SESSION_COOKIE))
    if request.method not in SAFE_METHODS and not csrf_ok(
        person.session, request.cookies.get(CSRF_COOKIE), await _submitted_csrf(request)
    ):
        raise Forbidden(
            f"{CSRF_HEADER}: missing or wrong; send the value of the {CSRF_COOKIE} cookie",
            field=CSRF_HEADER,
        )
    return person.actor


ActorDep = Annotated[Actor, Depends(get_actor)]
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="The id, as listed.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="How many items to skip.")]
Limit = Annotated[int, Query(ge=1, le=200, description="How many items to return.")]
