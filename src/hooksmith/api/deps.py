"""FastAPI dependencies of the API as `Annotated` aliases: the caller and the page size (the runtime
and the unit of work (`db`) are `hooksmith.deps`, shared with the pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from hooksmith.deps import RuntimeDep
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

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


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
Limit = Annotated[int, Query(ge=1, le=200, description="How many items to return.")]
