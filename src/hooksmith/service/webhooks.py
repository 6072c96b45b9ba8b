"""Webhook use cases: create, read, list, update, delete and duplicate, under the tenancy rules.

Secrets are write-only: views say `password_set`, `token_set` (`<secret field>_set`), and
`needs_secret` names the one a webhook's auth requires while none is stored; an update that
omits the secret keeps the stored one, unless it changes where the webhook sends (scheme, host,
port or the placeholders of the host) or where an OAuth2 client secret goes (the token URL's
scheme and host), which clears it unless the same request sets it again.

A definition is saved only when every template and mapper can work (`template_problems`):
a save with a syntax error, or a body no data can make JSON, is refused with every problem
named by its field, and nothing changes.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import (
    SECRET_FIELDS,
    WITHHELD_SECRET,
    InvalidDefinition,
    Webhook,
    parse_webhook,
    template_problems,
)
from hooksmith.service.actors import Actor
from hooksmith.service.cache import WebhookCache
from hooksmith.service.errors import Forbidden, InvalidInput, NotFound, store_errors
from hooksmith.store import (
    MAX_ID,
    RevisionRepository,
    Scope,
    SecretBox,
    SecretUnreadable,
    TenantRepository,
    WebhookRepository,
    to_definition,
)
from hooksmith.store.models import Company, WebhookRow

T = TypeVar("T")
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://")
_EXPRESSION = re.compile(r"\{\{\s*(.*?)\s*\}\}")


PAGE_SIZE = 50  # how many items a page of a list holds unless the caller asks for another number


class Page(BaseModel, Generic[T]):
    """One page of a list and the total number of items."""

    items: list[T]
    total: int
    offset: int
    limit: int


class WebhookView(Webhook):
    """A stored webhook as callers see it: every field of a webhook (the engine's model), its
    id, revision and authorship, and the auth's secret replaced by `password_set` / `token_set`."""

    id: int
    revision: int
    company: str
    auth: dict[str, Any]  # type: ignore[assignment]  # the auth without its write-only secret
    needs_secret: str | None = None  # the secret field the auth requires but does not have
    created_at: datetime
    updated_at: datetime
    created_by: int | None
    updated_by: int | None


def view(row: WebhookRow) -> WebhookView:
    """The view of a row; the secret itself is never read here."""
    auth = dict(row.definition["auth"])
    field = SECRET_FIELDS.get(row.auth_type)
    if field is not None:
        auth[f"{field}_set"] = row.auth_secret_ciphertext is not None
    return WebhookView.model_validate(
        row.definition
        | {
            "id": row.id,
            "revision": row.revision,
            "company": row.company.slug,
            "auth": auth,
            "needs_secret": _needs_secret(row),
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            "created_by": row.created_by,
            "updated_by": row.updated_by,
        }
    )


def _needs_secret(row: WebhookRow) -> str | None:
    field = SECRET_FIELDS.get(row.auth_type)
    return field if field is not None and row.auth_secret_ciphertext is None else None


async def checked(data: dict[str, Any]) -> Webhook:
    """The webhook of `data` if its shape is valid and its templates and mappers can work, else
    `InvalidDefinition` listing every problem (compiled in a thread, off the event loop)."""
    webhook = parse_webhook(data)
    problems = await asyncio.to_thread(template_problems, webhook)
    if problems:
        raise InvalidDefinition(problems)
    return webhook


def destination(url: str, context: dict[str, str]) -> tuple[str, str, tuple[str | None, ...]]:
    """Where a URL template sends: its scheme, its host part (placeholders as written) and the
    context values those placeholders take."""
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else ""
    rest = url[match.end() :] if match else url
    depth, index = 0, 0
    while index < len(rest):
        if rest.startswith("{{", index):
            depth, index = depth + 1, index + 2
        elif rest.startswith("}}", index) and depth:
            depth, index = depth - 1, index + 2
        elif depth == 0 and rest[index] in "/?#":
            break
        else:
            index += 1
    authority = rest[:index]
    names = [name.strip() for name in _EXPRESSION.findall(authority)]
    normal = _EXPRESSION.sub(lambda m: "{{" + m.group(1).strip() + "}}", authority).lower()
    return scheme, normal, tuple(context.get(name) for name in names)


def stored_destination(row: WebhookRow) -> tuple[str, str, tuple[str | None, ...]]:
    """Where the stored webhook `row` sends (see `destination`)."""
    return destination(row.definition["url"], row.definition["context"])


def token_origin(auth: Any) -> str | None:
    """Where an OAuth2 auth sends its client secret (the token URL's scheme and host), if any.

    >>> token_origin({"type": "oauth2", "token_url": "https://Auth.example/t?x=1"})
    'https://auth.example'
    """
    if not isinstance(auth, dict) or auth.get("type") != "oauth2":
        return None
    url = auth.get("token_url")
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _payload(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("a webhook definition must be a JSON object", field="")
    return dict(data)


async def _company_for(
    tenants: TenantRepository, actor: Actor, slug: str | None, current: int | None
) -> Company:
    """The company a webhook is assigned to: "Assign to" in docs/design.md#the-webhook."""
    if actor.company_id is not None:
        own = await tenants.get_company(actor.scope, actor.company_id)
        if own is None:
            raise NotFound("company: your company no longer exists", field="company")
        if slug is not None and slug != own.slug:
            raise Forbidden(
                "company: only agency users choose the company (Assign to); leave it out",
                field="company",
            )
        return own
    companies = await tenants.list_companies(actor.scope)
    if slug is None:
        if current is not None:
            return next(c for c in companies if c.id == current)
        if len(companies) == 1:
            return companies[0]
        choices = ", ".join(c.slug for c in companies) or "none yet"
        raise InvalidInput(
            f"company: choose the company to assign the webhook to (one of: {choices})",
            field="company",
        )
    for company in companies:
        if company.slug == slug:
            return company
    raise InvalidInput(f"company: {slug!r} is not a company of your agency", field="company")


def stored_secret(repository: WebhookRepository, row: WebhookRow) -> str | None:
    try:
        return repository.secret(row)
    except SecretUnreadable:
        return None


def _with_secret(
    data: dict[str, Any], stored_type: str | None, stored_secret: str | None, keep: bool
) -> tuple[dict[str, Any], bool]:
    """The payload with the stored secret filled in where it was omitted and may be kept.

    Returns the payload and whether the saved webhook must end up without a secret.
    """
    auth = data.get("auth")
    if not isinstance(auth, dict):
        return data, False
    kind = auth.get("type")
    field = SECRET_FIELDS.get(kind) if isinstance(kind, str) else None
    if field is None or auth.get(field) is not None:
        return data, False
    if keep and kind == stored_type and stored_secret is not None:
        return data | {"auth": auth | {field: stored_secret}}, False
    return data | {"auth": auth | {field: WITHHELD_SECRET}}, True


async def create_webhook(db: AsyncSession, box: SecretBox, actor: Actor, data: Any) -> WebhookView:
    """Store a new webhook in the caller's company (or the company an agency user assigns)."""
    row = await add_webhook(db, box, actor, data)
    await db.commit()
    return view(row)


async def add_webhook(db: AsyncSession, box: SecretBox, actor: Actor, data: Any) -> WebhookRow:
    """The create path without its commit: check, store at revision 1 and keep the revision."""
    payload = _payload(data)
    webhook = await checked(payload)
    company = await _company_for(TenantRepository(db), actor, webhook.company, None)
    repository = WebhookRepository(db, box)
    with store_errors():
        row = await repository.add(company.id, webhook, user_id=actor.user_id)
    await RevisionRepository(db).record(row, user_id=actor.user_id)
    return row


async def get_webhook(
    db: AsyncSession, box: SecretBox, actor: Actor, webhook_id: int
) -> WebhookView:
    return view(await webhook_in(WebhookRepository(db, box), actor.scope, webhook_id))


async def webhook_in(
    repository: WebhookRepository, scope: Scope, webhook_id: int, *, field: str | None = None
) -> WebhookRow:
    """The webhook `scope` reaches, else `NotFound` (as for one that does not exist) naming
    `field`, the input that gave the id."""
    row = await repository.get(scope, webhook_id)
    if row is None:
        raise NotFound(f"no webhook with id {webhook_id}", field=field)
    return row


async def list_webhooks(
    db: AsyncSession,
    box: SecretBox,
    actor: Actor,
    *,
    search: str | None = None,
    company: str | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> Page[WebhookView]:
    """One page of the caller's webhooks, by name substring and company slug."""
    company_id: int | None = None
    if company:
        found = await TenantRepository(db).company_by_slug(actor.scope, company)
        if found is None:
            return Page(items=[], total=0, offset=offset, limit=limit)
        company_id = found.id
    rows, total = await WebhookRepository(db, box).list(
        actor.scope, search=search, company_id=company_id, offset=offset, limit=limit
    )
    return Page(items=[view(row) for row in rows], total=total, offset=offset, limit=limit)


async def update_webhook(
    db: AsyncSession,
    box: SecretBox,
    cache: WebhookCache,
    actor: Actor,
    webhook_id: int,
    data: Any,
) -> WebhookView:
    """Replace a webhook's definition if `revision` is still current (else a conflict)."""
    payload = _payload(data)
    revision = payload.pop("revision", None)
    if isinstance(revision, bool) or not isinstance(revision, int) or not 0 < revision <= MAX_ID:
        raise InvalidInput(
            "revision: give the revision you read (a whole number from 1) so a newer save is not "
            "lost",
            field="revision",
        )
    return await save_definition(
        db, box, cache, actor, webhook_id, payload, expected_revision=revision
    )


async def save_definition(
    db: AsyncSession,
    box: SecretBox,
    cache: WebhookCache,
    actor: Actor,
    webhook_id: int,
    payload: dict[str, Any],
    *,
    expected_revision: int,
    may_keep_secret: bool = True,
) -> WebhookView:
    """Save `payload` as the webhook's next revision (the secret rules in the module docstring);
    `may_keep_secret=False` saves it without the stored secret unless the payload gives one."""
    repository = WebhookRepository(db, box)
    row = await webhook_in(repository, actor.scope, webhook_id)
    company = await _company_for(
        TenantRepository(db), actor, payload.get("company"), row.company_id
    )
    before = stored_destination(row)
    new_url = payload.get("url")
    new_context = payload.get("context") or {}
    same_place = isinstance(new_url, str) and isinstance(new_context, dict)
    same_place = same_place and destination(str(new_url), new_context) == before
    same_place = same_place and token_origin(payload.get("auth")) == token_origin(
        row.definition["auth"]
    )
    payload, clear = _with_secret(
        payload, row.auth_type, stored_secret(repository, row), keep=same_place and may_keep_secret
    )
    webhook = await checked(payload)
    with store_errors():
        updated = await repository.update(
            actor.scope,
            webhook_id,
            webhook,
            expected_revision=expected_revision,
            company_id=company.id,
            user_id=actor.user_id,
        )
    if updated is None:
        raise NotFound(f"no webhook with id {webhook_id}")
    if clear:
        await repository.clear_secret(actor.scope, webhook_id)
        updated.auth_secret_ciphertext = None
    await RevisionRepository(db).record(updated, user_id=actor.user_id)
    await db.commit()
    cache.changed(webhook_id)
    return view(updated)


async def delete_webhook(
    db: AsyncSession, box: SecretBox, cache: WebhookCache, actor: Actor, webhook_id: int
) -> None:
    """Delete a webhook and its run history."""
    if not await WebhookRepository(db, box).delete(actor.scope, webhook_id):
        raise NotFound(f"no webhook with id {webhook_id}")
    await db.commit()
    cache.changed(webhook_id)


async def shareable_definition(
    db: AsyncSession, box: SecretBox, actor: Actor, webhook_id: int
) -> Webhook:
    """A stored webhook's definition with its secret replaced, for exports that never reveal it."""
    return _placeholder(await webhook_in(WebhookRepository(db, box), actor.scope, webhook_id))


async def duplicate_webhook(
    db: AsyncSession, box: SecretBox, actor: Actor, webhook_id: int
) -> WebhookView:
    """A copy of a webhook in the same company, named "… (copy)", its secret kept."""
    repository = WebhookRepository(db, box)
    row = await webhook_in(repository, actor.scope, webhook_id)
    secret = stored_secret(repository, row)
    original: Webhook = repository.definition(row) if secret is not None else _placeholder(row)
    name = f"{row.name} (copy)"
    copy = original.model_copy(update={"name": name if len(name) <= 200 else row.name})
    with store_errors():
        added = await repository.add(row.company_id, copy, user_id=actor.user_id)
    if secret is None and row.auth_type in SECRET_FIELDS:
        await repository.clear_secret(actor.scope, added.id)
        added.auth_secret_ciphertext = None
    await RevisionRepository(db).record(added, user_id=actor.user_id)
    await db.commit()
    return view(added)


def _placeholder(row: WebhookRow) -> Webhook:
    """The stored webhook with its secret withheld (the stand-in in its place)."""
    return to_definition(row, None)
