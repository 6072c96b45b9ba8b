"""Sign in and out: a session recorded on the server, its signed cookie and its CSRF cookie."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from hooksmith.api.deps import ActorDep
from hooksmith.deps import DbDep, RuntimeDep
from hooksmith.engine import JsonRefused, field_path, load_json
from hooksmith.service import signin, tenants
from hooksmith.service.cookies import SESSION_COOKIE, clear_session_cookies, set_session_cookies
from hooksmith.service.errors import InvalidInput, Unauthorized
from hooksmith.service.tenants import Me

router = APIRouter(prefix="/session", tags=["session"])


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


LOGIN_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": Credentials.model_json_schema()},
        "application/x-www-form-urlencoded": {"schema": Credentials.model_json_schema()},
    },
}


class SignedIn(BaseModel):
    user: Me
    csrf_token: str


async def _credentials(request: Request) -> Credentials:
    data: Any
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = load_json(await request.body())
        except JsonRefused as refused:
            raise InvalidInput(
                f"body: not JSON hooksmith accepts ({refused})", field="body"
            ) from None
    else:
        data = dict(await request.form())
    try:
        return Credentials.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = field_path(tuple(first["loc"])) or "body"
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from None


@router.post(
    "",
    response_model=SignedIn,
    openapi_extra={"requestBody": LOGIN_BODY},
    responses={401: {"description": "Wrong email or password."}},
)
async def sign_in(request: Request, runtime: RuntimeDep, db: DbDep) -> Response:
    """Sign in with email and password (JSON or a form): sets the session cookie and the
    CSRF cookie. Repeated failures lock the account or address for a while (429)."""
    credentials = await _credentials(request)
    client = request.client.host if request.client else None
    actor = await signin.sign_in(
        db, runtime.sign_ins, credentials.email, credentials.password, client=client
    )
    if actor is None:
        raise Unauthorized("email or password is wrong", field="password")
    cookie, data = runtime.cookies.issue(actor.id)
    await runtime.signed_in.start(
        db,
        data,
        user_agent=request.headers.get("user-agent", ""),
        address=client or "",
    )
    body = SignedIn(user=await tenants.me(db, actor), csrf_token=data.csrf_token)
    response = JSONResponse(body.model_dump(mode="json"))
    set_session_cookies(response.set_cookie, runtime.settings, cookie, data.csrf_token)
    return response


@router.delete("", status_code=204)
async def sign_out(request: Request, actor: ActorDep, runtime: RuntimeDep) -> Response:
    """End the session of the cookie: it answers 401 from now on."""
    ended = runtime.cookies.read(request.cookies.get(SESSION_COOKIE))
    if ended is not None and ended.user_id == actor.user_id:
        await runtime.signed_in.end(ended.session_id)
    response = Response(status_code=204)
    clear_session_cookies(response.set_cookie, runtime.settings)
    return response
