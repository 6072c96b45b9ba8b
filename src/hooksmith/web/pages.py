"""The pages around the builder: sign in and out, the webhook list, the signed-in sessions, and
API tokens for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hooksmith.deps import DbDep, Id, Offset, RuntimeDep
from hooksmith.service import overview, tenants
from hooksmith.service.cookies import (
    clear_session_cookies,
    set_login_cookie,
    set_session_cookies,
)
from hooksmith.service.errors import RateLimited, ServiceError
from hooksmith.service.signin import sign_in
from hooksmith.web.deps import (
    CsrfToken,
    FormUser,
    MaybeUser,
    PageUser,
    Viewer,
    check_form_csrf,
    login_token_ok,
    new_login_token,
    safe_next,
)
from hooksmith.web.starters import STARTERS

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=1000)]
OptionalFormText = Annotated[str | None, Form(max_length=1000)]


def templates_of(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def page(
    request: Request,
    name: str,
    viewer: Viewer | None,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """Render page `name` with the viewer (for the navigation and the CSRF token)."""
    return templates_of(request).TemplateResponse(
        request, name, {"viewer": viewer, **(context or {})}, status_code=status
    )


@router.get("/")
async def home(viewer: MaybeUser) -> Response:
    return RedirectResponse("/webhooks" if viewer else "/login", status_code=303)


def _login_page(
    request: Request,
    next_path: str,
    *,
    email: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = new_login_token()
    context = {"next": next_path, "email": email, "error": error, "login_csrf": token}
    response = page(request, "login.html", None, context, status)
    set_login_cookie(response.set_cookie, request.app.state.runtime.settings, token)
    return response


@router.get("/login")
async def login_form(
    request: Request, viewer: MaybeUser, next: Annotated[str | None, Query()] = None
) -> Response:
    if viewer is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/login")
async def login_submit(
    request: Request,
    runtime: RuntimeDep,
    db: DbDep,
    email: FormText,
    password: FormText,
    csrf_token: CsrfToken = "",
    next: OptionalFormText = None,
) -> Response:
    target = safe_next(next)
    if not login_token_ok(request, csrf_token):
        message = "The sign-in form had expired. Please try again."
        return _login_page(request, target, email=email, error=message, status=403)
    client = request.client.host if request.client else None
    try:
        actor = await sign_in(db, runtime.sign_ins, email, password, client=client)
    except RateLimited as limited:
        message = f"Too many failed sign-ins: try again in {limited.retry_after} s."
        response = _login_page(request, target, email=email, error=message, status=429)
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    if actor is None:
        message = "Email or password is wrong."
        return _login_page(request, target, email=email, error=message, status=401)
    cookie, session = runtime.cookies.issue(actor.id)
    await runtime.signed_in.start(
        db, session, user_agent=request.headers.get("user-agent", ""), address=client or ""
    )
    response = RedirectResponse(target, status_code=303)
    set_session_cookies(response.set_cookie, runtime.settings, cookie, session.csrf_token)
    return response


@router.post("/logout")
async def logout(
    request: Request,
    runtime: RuntimeDep,
    viewer: MaybeUser,
    csrf_token: CsrfToken = "",
) -> Response:
    if viewer is not None:
        check_form_csrf(request, viewer, csrf_token)
        await runtime.signed_in.end(viewer.session.session_id)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookies(response.set_cookie, runtime.settings)
    return response


@router.get("/webhooks")
async def webhook_list(
    request: Request,
    viewer: PageUser,
    runtime: RuntimeDep,
    db: DbDep,
    search: Annotated[str | None, Query(max_length=200)] = None,
    company: Annotated[str | None, Query(max_length=63)] = None,
    offset: Offset = 0,
) -> Response:
    listing = await overview.webhook_listing(
        runtime, db, viewer.actor, search=search or None, company=company or None, offset=offset
    )
    context = {
        "listing": listing,
        "search": search or "",
        "company": company or "",
        "starters": STARTERS,
    }
    return page(request, "webhooks.html", viewer, context)


async def _tokens_page(
    request: Request,
    viewer: Viewer,
    db: DbDep,
    *,
    created: tenants.NewToken | None = None,
    error: ServiceError | None = None,
) -> Response:
    tokens = await tenants.list_tokens(db, viewer.actor)
    switches = await tenants.list_companies(db, viewer.actor)
    companies = switches if viewer.actor.is_agency else []
    context = {
        "tokens": tokens,
        "companies": companies,
        "switches": switches,
        "created": created,
        "error": error,
    }
    return page(request, "tokens.html", viewer, context, 422 if error else 200)


@router.get("/tokens")
async def token_list(request: Request, viewer: PageUser, db: DbDep) -> Response:
    return await _tokens_page(request, viewer, db)


@router.post("/tokens")
async def token_create(
    request: Request,
    viewer: FormUser,
    db: DbDep,
    name: FormText,
    company: OptionalFormText = None,
    environment: OptionalFormText = None,
) -> Response:
    try:
        created = await tenants.create_token(
            db,
            viewer.actor,
            name,
            company=company or None,
            environment=environment or "production",
        )
    except ServiceError as error:
        if error.kind != "invalid_input":
            raise
        return await _tokens_page(request, viewer, db, error=error)
    return await _tokens_page(request, viewer, db, created=created)


@router.post("/companies/{company}/mock")
async def company_mock_switch(
    company: Annotated[str, Path(max_length=63)],
    viewer: FormUser,
    db: DbDep,
    mock_staging: OptionalFormText = None,
) -> Response:
    await tenants.set_mock_switch(db, viewer.actor, company, mock_staging == "true")
    return RedirectResponse("/tokens", status_code=303)


@router.post("/tokens/{token_id}/revoke")
async def token_revoke(
    token_id: Id,
    viewer: FormUser,
    runtime: RuntimeDep,
    db: DbDep,
) -> Response:
    await tenants.revoke_token(db, viewer.actor, token_id, actors=runtime.actors)
    return RedirectResponse("/tokens", status_code=303)


@router.get("/sessions")
async def session_list(
    request: Request, viewer: PageUser, runtime: RuntimeDep, db: DbDep
) -> Response:
    sessions = await runtime.signed_in.list_for_user(db, viewer.session)
    settings = runtime.settings
    context = {
        "sessions": sessions,
        "idle": _duration(settings.session_idle_seconds),
        "max_age": _duration(settings.session_max_age),
    }
    return page(request, "sessions.html", viewer, context)


def _duration(seconds: float) -> str:
    """A setting in seconds as a person reads it: 12 hours, 14 days, 90 seconds."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds:g} seconds"


@router.post("/sessions/end-all")
async def session_end_all(
    viewer: FormUser,
    runtime: RuntimeDep,
    db: DbDep,
) -> Response:
    """Sign out everywhere: every session of the viewer ends, this one included."""
    await runtime.signed_in.end_for_user(db, viewer.session.user_id)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookies(response.set_cookie, runtime.settings)
    return response
