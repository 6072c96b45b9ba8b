"""Webhook templates (WHT): a built-in library and templates saved agency-wide or company-wide,
webhooks made from them, and taking a template's newer version on request.

Who sees what (docs/design.md#webhook-templates): everyone sees the built-ins; an agency's users
and tokens see the agency's templates and those of its companies; a company's users and tokens
see their company's and their agency's. Who changes what: an agency-wide template is saved,
changed and deleted by the agency's users and tokens only; a company-wide one by the company's
users and tokens and by its agency's (who manage its webhooks too). Built-ins are read-only.

A template never holds a secret or a tenant's Context values: its definition is a webhook's
without name, company, the auth's secret and the Context values (their keys stay). A webhook
made from a template records the template and version (its origin); a newer version changes it
only when applied, and then only in the fields the template changed between the two versions,
keeping the webhook's name, Context values and (where it still sends to the same place) secret.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import SECRET_FIELDS, WITHHELD_SECRET, is_sensitive_header
from hooksmith.service.actors import Actor
from hooksmith.service.cache import WebhookCache
from hooksmith.service.errors import Forbidden, InvalidInput, NotFound, RevisionConflict
from hooksmith.service.library import BuiltIn, built_in, built_ins
from hooksmith.service.revisions import Change, changes
from hooksmith.service.webhooks import (
    WebhookView,
    add_webhook,
    checked,
    save_definition,
    view,
    webhook_in,
)
from hooksmith.store import (
    MAX_ID,
    SecretBox,
    TemplateRepository,
    TenantRepository,
    WebhookRepository,
)
from hooksmith.store.models import Company, WebhookTemplateRow
from hooksmith.store.revisions import revision_definition

Kind = Literal["built-in", "agency", "company"]
_STORED = re.compile(r"^[0-9]{1,10}$")
_NOT_TEMPLATED = ("name", "company")


class TemplateView(BaseModel):
    """A template as callers see it: its newest version, the Context keys a webhook made from it
    needs (with any default) and which secret its auth needs (`token`, `password` or null)."""

    key: str  # a stored template's id, or a built-in's slug
    kind: Kind
    owner: str | None  # the agency's or company's slug; null for built-ins
    name: str
    description: str
    version: int
    context: dict[str, str]
    secret: str | None
    definition: dict[str, Any]
    updated_at: datetime | None = None


class TemplateDiff(BaseModel):
    """The fields that changed from version `before` of a template to version `after`."""

    key: str
    before: int
    after: int
    changes: list[Change]


class OriginView(BaseModel):
    """The template a webhook was made from, the version it has, and what a newer one changes.

    `template` is null for a webhook made from no template; `available` is false when the
    template was deleted (or is no longer visible to the caller)."""

    webhook_id: int
    template: str | None = None
    name: str | None = None
    version: int | None = None
    newest: int | None = None
    available: bool = False
    newer: bool = False
    changes: list[Change] = []


# -- what a template holds ----------------------------------------------------------------------


def template_definition(data: dict[str, Any]) -> dict[str, Any]:
    """The template form of webhook data: no name, company or secret; Context keys kept."""
    definition = {key: value for key, value in data.items() if key not in _NOT_TEMPLATED}
    auth = definition.get("auth") or {"type": "none"}
    if isinstance(auth, dict):  # else the save checks name it
        auth = dict(auth)
        field = SECRET_FIELDS.get(str(auth.get("type")))
        if field is not None:
            auth.pop(field, None)
        auth.pop("password_set", None)
        auth.pop("token_set", None)
    definition["auth"] = auth
    for index, header in enumerate(definition.get("headers") or []):
        value = str(header.get("value", "")) if isinstance(header, dict) else ""
        key = str(header.get("key", "")) if isinstance(header, dict) else ""
        if is_sensitive_header(key) and value and "{{" not in value:
            raise InvalidInput(
                f"headers[{index}].value: {key} looks like a credential; a template never holds "
                "a secret (use the auth, or a {{ placeholder }})",
                field=f"headers[{index}].value",
            )
    return definition


async def _normal(definition: dict[str, Any], name: str) -> dict[str, Any]:
    """`definition` checked as a webhook would be on save, in its complete, stored form.

    Context keys may be left without a value in a template; the check fills them for itself."""
    auth = definition.get("auth") or {"type": "none"}
    if isinstance(auth, dict):
        field = SECRET_FIELDS.get(str(auth.get("type")))
        if field is not None:
            auth = auth | {field: WITHHELD_SECRET}
    context = definition.get("context")
    if context is None:
        context = {}
    filled = context
    if isinstance(context, dict) and all(isinstance(value, str) for value in context.values()):
        filled = {key: value or "x" for key, value in context.items()}
    webhook = await checked(definition | {"name": name, "auth": auth, "context": filled})
    data = webhook.to_data()
    data["context"] = dict(context)
    return template_definition(data)


def _secret_of(definition: dict[str, Any]) -> str | None:
    return SECRET_FIELDS.get(str((definition.get("auth") or {}).get("type")))


# -- who sees and changes what ------------------------------------------------------------------


class _Reach:
    """The agencies and companies whose templates a caller sees, and their slugs."""

    def __init__(self, agencies: dict[int, str], companies: dict[int, str]) -> None:
        self.agencies = agencies
        self.companies = companies


async def _reach(db: AsyncSession, actor: Actor) -> _Reach:
    tenants = TenantRepository(db)
    companies: Sequence[Company] = await tenants.list_companies(actor.scope)
    agency_ids = {actor.agency_id} if actor.agency_id is not None else set()
    agency_ids |= {c.agency_id for c in companies if c.agency_id is not None}
    agencies: dict[int, str] = {}
    for agency_id in agency_ids:
        agency = await tenants.get_agency(agency_id)
        if agency is not None:
            agencies[agency.id] = agency.slug
    return _Reach(agencies, {c.id: c.slug for c in companies})


def _may_change(actor: Actor, row: WebhookTemplateRow) -> bool:
    if row.agency_id is not None:
        return actor.agency_id == row.agency_id
    return actor.scope.allows(row.company_id)


def _stored_view(row: WebhookTemplateRow, reach: _Reach) -> TemplateView:
    if row.agency_id is not None:
        kind: Kind = "agency"
        owner = reach.agencies.get(row.agency_id)
    else:
        kind = "company"
        owner = reach.companies.get(row.company_id or 0)
    return TemplateView(
        key=str(row.id),
        kind=kind,
        owner=owner,
        name=row.name,
        description=row.description,
        version=row.version,
        context=dict(row.definition.get("context") or {}),
        secret=_secret_of(row.definition),
        definition=row.definition,
        updated_at=row.updated_at,
    )


def _built_in_view(item: BuiltIn) -> TemplateView:
    definition = item.definition
    return TemplateView(
        key=item.slug,
        kind="built-in",
        owner=None,
        name=item.name,
        description=item.description,
        version=item.version,
        context=dict(definition.get("context") or {}),
        secret=_secret_of(definition),
        definition=definition,
    )


def _unknown(key: str) -> NotFound:
    return NotFound(f"template: there is no template {key!r}", field="template")


async def _stored(db: AsyncSession, reach: _Reach, key: str) -> WebhookTemplateRow | None:
    if not _STORED.match(key) or int(key) > MAX_ID:
        return None
    return await TemplateRepository(db).get(list(reach.agencies), list(reach.companies), int(key))


async def _changeable(
    db: AsyncSession, actor: Actor, key: str
) -> tuple[WebhookTemplateRow, _Reach]:
    reach = await _reach(db, actor)
    if built_in(key) is not None:
        raise Forbidden(
            "template: built-in templates cannot be changed; save a copy", field="template"
        )
    row = await _stored(db, reach, key)
    if row is None:
        raise _unknown(key)
    if not _may_change(actor, row):
        raise Forbidden(
            "template: an agency-wide template is changed by its agency's users only",
            field="template",
        )
    return row, reach


# -- use cases ----------------------------------------------------------------------------------


async def list_templates(db: AsyncSession, actor: Actor) -> list[TemplateView]:
    """The built-ins, then the agency's and the companies' templates the caller sees."""
    reach = await _reach(db, actor)
    rows = await TemplateRepository(db).list(list(reach.agencies), list(reach.companies))
    return [_built_in_view(item) for item in built_ins()] + [_stored_view(r, reach) for r in rows]


async def get_template(db: AsyncSession, actor: Actor, key: str) -> TemplateView:
    item = built_in(key)
    if item is not None:
        return _built_in_view(item)
    reach = await _reach(db, actor)
    row = await _stored(db, reach, key)
    if row is None:
        raise _unknown(key)
    return _stored_view(row, reach)


def _text(data: dict[str, Any], name: str, *, limit: int, default: str | None = None) -> str:
    value = data.get(name, default)
    if not isinstance(value, str) or (name == "name" and not value.strip()) or len(value) > limit:
        raise InvalidInput(
            f"{name}: give a text of at most {limit} characters"
            + (", not blank" if name == "name" else ""),
            field=name,
        )
    return value


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object", field="")
    return dict(data)


def _id(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InvalidInput(f"{name}: give an id (a positive integer)", field=name)
    return value


async def _webhook_definition(
    db: AsyncSession, box: SecretBox, actor: Actor, webhook_id: int
) -> tuple[int, str, dict[str, Any]]:
    """A stored webhook's company, name and template form (Context values left out)."""
    row = await WebhookRepository(db, box).get(actor.scope, webhook_id)
    if row is None:
        raise NotFound(f"webhook_id: no webhook with id {webhook_id}", field="webhook_id")
    data = revision_definition(row)
    data["context"] = {
        key: "" for key in row.definition["context"]
    }  # a tenant's values stay with it
    return row.company_id, row.name, template_definition(data)


async def save_template(db: AsyncSession, box: SecretBox, actor: Actor, data: Any) -> TemplateView:
    """Save a stored webhook as a new template, company-wide (its company) or agency-wide (the
    caller's agency); the webhook then counts as made from it (version 1)."""
    body = _object(data)
    webhook_id = _id(body, "webhook_id")
    scope = body.get("scope", "company")
    if scope not in ("company", "agency"):
        raise InvalidInput("scope: either 'company' or 'agency'", field="scope")
    company_id, own_name, definition = await _webhook_definition(db, box, actor, webhook_id)
    name = _text(body, "name", limit=200, default=own_name)
    description = _text(body, "description", limit=2000, default="")
    if scope == "agency" and actor.agency_id is None:
        raise Forbidden("scope: only an agency's users save agency-wide templates", field="scope")
    definition = await _normal(definition, name)
    repository = TemplateRepository(db)
    row = await repository.add(
        agency_id=actor.agency_id if scope == "agency" else None,
        company_id=None if scope == "agency" else company_id,
        name=name,
        description=description,
        definition=definition,
        user_id=actor.user_id,
    )
    await repository.set_origin(webhook_id, str(row.id), row.version)
    await db.commit()
    return _stored_view(row, await _reach(db, actor))


async def update_template(
    db: AsyncSession, box: SecretBox, actor: Actor, key: str, data: Any
) -> TemplateView:
    """Save the template's next version: a new `definition`, or a stored webhook's
    (`webhook_id`), and its name and description; `version` must be the one read."""
    body = _object(data)
    row, reach = await _changeable(db, actor, key)
    expected = body.get("version")
    if isinstance(expected, bool) or not isinstance(expected, int):
        raise InvalidInput(
            "version: give the version you read (an integer) so a newer save is not lost",
            field="version",
        )
    if expected != row.version:
        raise RevisionConflict(
            f"version: the template is at version {row.version}, not {expected}; reload it",
            field="version",
        )
    name = _text(body, "name", limit=200, default=row.name)
    description = _text(body, "description", limit=2000, default=row.description)
    if "webhook_id" in body:
        webhook_id = _id(body, "webhook_id")
        _, _, definition = await _webhook_definition(db, box, actor, webhook_id)
    elif "definition" in body:
        given = body["definition"]
        if not isinstance(given, dict):
            raise InvalidInput("definition: must be a JSON object", field="definition")
        auth = given.get("auth")
        field = SECRET_FIELDS.get(str(auth.get("type"))) if isinstance(auth, dict) else None
        if field is not None and isinstance(auth, dict) and auth.get(field):
            raise InvalidInput(
                f"auth.{field}: a template never holds a secret; leave it out",
                field=f"auth.{field}",
            )
        definition = template_definition(given)
    else:
        definition = dict(row.definition)
    definition = await _normal(definition, name)
    await TemplateRepository(db).new_version(
        row, name=name, description=description, definition=definition, user_id=actor.user_id
    )
    await db.commit()
    return _stored_view(row, reach)


async def delete_template(db: AsyncSession, actor: Actor, key: str) -> None:
    """Delete a stored template and its versions; webhooks made from it are left as they are."""
    row, _ = await _changeable(db, actor, key)
    await TemplateRepository(db).delete(row)
    await db.commit()


async def _version(
    db: AsyncSession, reach: _Reach, key: str, version: int
) -> dict[str, Any] | None:
    item = built_in(key)
    if item is not None:
        return item.versions.get(version)
    row = await _stored(db, reach, key)
    if row is None:
        return None
    kept = await TemplateRepository(db).version(row.id, version)
    return None if kept is None else kept.definition


async def diff_versions(
    db: AsyncSession, actor: Actor, key: str, before: int, after: int
) -> TemplateDiff:
    """The fields that changed from one version of a template to another."""
    template = await get_template(db, actor, key)
    reach = await _reach(db, actor)
    old = await _version(db, reach, key, before)
    new = await _version(db, reach, key, after)
    for number, found in ((before, old), (after, new)):
        if found is None:
            raise NotFound(
                f"version: template {template.key!r} has no version {number}", field="version"
            )
    assert old is not None
    assert new is not None
    return TemplateDiff(key=template.key, before=before, after=after, changes=changes(old, new))


def _context_values(
    wanted: dict[str, str], given: Any, *, own: dict[str, str] | None = None
) -> dict[str, str]:
    """The Context of a webhook: its own values, else given ones, else the template's defaults;
    every key the template has must end up with a value."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise InvalidInput("context: give an object of Context values", field="context")
    for name, value in given.items():
        if name not in wanted:
            raise InvalidInput(
                f"context.{name}: the template has no Context value {name!r}",
                field=f"context.{name}",
            )
        if not isinstance(value, str):
            raise InvalidInput(f"context.{name}: give a text", field=f"context.{name}")
    values: dict[str, str] = {}
    for name, default in wanted.items():
        value = (own or {}).get(name) or given.get(name) or default
        if not value:
            raise InvalidInput(
                f"context.{name}: give the Context value {name!r} (the URL needs it)",
                field=f"context.{name}",
            )
        values[name] = value
    return values


def _with_secret(auth: dict[str, Any], body: dict[str, Any], *, required: bool) -> dict[str, Any]:
    field = SECRET_FIELDS.get(str(auth.get("type")))
    if field is None:
        return auth
    auth = dict(auth)
    if field == "password" and body.get("username") is not None:
        username = body["username"]
        if not isinstance(username, str) or not username:
            raise InvalidInput("username: give the basic-auth user name", field="username")
        auth["username"] = username
    secret = body.get("secret")
    if secret is None:
        if required:
            raise InvalidInput(
                f"secret: the template's auth needs a {field}; give it as `secret`",
                field="secret",
            )
        return auth
    if not isinstance(secret, str) or not secret:
        raise InvalidInput(f"secret: give the {field} as a text", field="secret")
    return auth | {field: secret}


async def create_from_template(
    db: AsyncSession, box: SecretBox, actor: Actor, key: str, data: Any
) -> WebhookView:
    """A new webhook made from the template's newest version, with the caller's `name`,
    Context values and secret, saved through the normal create path (every check applies)."""
    body = _object(data)
    template = await get_template(db, actor, key)
    name = _text(body, "name", limit=200, default=template.name)
    definition = dict(template.definition)
    payload = definition | {
        "name": name,
        "context": _context_values(template.context, body.get("context")),
        "auth": _with_secret(dict(definition.get("auth") or {}), body, required=True),
    }
    company = body.get("company")
    if template.kind == "company":
        if company is not None and company != template.owner:
            raise InvalidInput(
                f"company: this template belongs to company {template.owner!r}; its webhooks "
                "stay there",
                field="company",
            )
        company = template.owner if actor.company_id is None else None
    if company is not None:
        payload["company"] = company
    row = await add_webhook(db, box, actor, payload)
    await TemplateRepository(db).set_origin(row.id, template.key, template.version)
    await db.commit()
    return view(row)


async def _origin_parts(
    db: AsyncSession, box: SecretBox, actor: Actor, webhook_id: int
) -> tuple[OriginView, dict[str, Any] | None, dict[str, Any] | None, TemplateView | None]:
    await webhook_in(WebhookRepository(db, box), actor.scope, webhook_id)
    origin = await TemplateRepository(db).origin(actor.scope, webhook_id)
    if origin is None:
        return OriginView(webhook_id=webhook_id), None, None, None
    found = OriginView(
        webhook_id=webhook_id, template=origin.template, version=origin.template_version
    )
    try:
        template = await get_template(db, actor, origin.template)
    except NotFound:
        return found, None, None, None
    reach = await _reach(db, actor)
    old = await _version(db, reach, template.key, origin.template_version)
    new = template.definition
    found.name, found.newest, found.available = template.name, template.version, True
    found.newer = template.version > origin.template_version
    if found.newer and old is not None:
        found.changes = changes(old, new)
    return found, old, new, template


async def webhook_origin(
    db: AsyncSession, box: SecretBox, actor: Actor, webhook_id: int
) -> OriginView:
    """The template a webhook was made from, and whether (and in what) a newer version differs."""
    return (await _origin_parts(db, box, actor, webhook_id))[0]


async def apply_newer_version(
    db: AsyncSession,
    box: SecretBox,
    cache: WebhookCache,
    actor: Actor,
    webhook_id: int,
    data: Any,
) -> WebhookView:
    """Take the template's newest version into the webhook as its next revision: only the
    fields the template changed since the webhook's version; the webhook's name, Context values
    and secret stay (a new Context key takes `context`, a changed auth type takes `secret`)."""
    body = _object(data)
    current = body.get("revision")
    if isinstance(current, bool) or not isinstance(current, int) or not 1 <= current <= MAX_ID:
        raise InvalidInput(
            "revision: give the webhook's revision you read (an integer) so a newer save "
            "is not lost",
            field="revision",
        )
    found, old, new, template = await _origin_parts(db, box, actor, webhook_id)
    if found.template is None:
        raise NotFound(
            f"template: webhook {webhook_id} was not made from a template", field="template"
        )
    if template is None or new is None:
        raise NotFound(
            f"template: the template {found.template!r} no longer exists", field="template"
        )
    if not found.newer:
        raise InvalidInput(
            f"template: the webhook already has the newest version (v{template.version})",
            field="template",
        )
    if old is None:
        old = {}
    row = await WebhookRepository(db, box).get(actor.scope, webhook_id)
    assert row is not None
    payload = {k: v for k, v in revision_definition(row).items() if k != "company"}
    changed = {change.field for change in changes(old, new)}
    for field in changed:
        if field.startswith("auth.") or field == "context":
            continue
        payload[field] = new.get(field)
    if any(field.startswith("auth.") for field in changed):
        payload["auth"] = dict(new.get("auth") or {"type": "none"})
    # Without a new `secret`, a webhook whose auth type changed is saved without one and then
    # says which it needs (`needs_secret`).
    payload["auth"] = _with_secret(dict(payload["auth"]), body, required=False)
    if "context" in changed:
        wanted = dict(new.get("context") or {})
        own = {k: v for k, v in row.definition["context"].items() if k in wanted}
        extra = {
            k: v
            for k, v in row.definition["context"].items()
            if k not in (old.get("context") or {})
        }
        payload["context"] = _context_values(wanted, body.get("context"), own=own) | extra
    await TemplateRepository(db).set_origin(webhook_id, template.key, template.version)
    return await save_definition(
        db, box, cache, actor, webhook_id, payload, expected_revision=current
    )
