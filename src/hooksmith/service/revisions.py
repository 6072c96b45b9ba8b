"""Revision use cases: a webhook's saved revisions, a diff of any two, and restoring one.

A revision keeps the definition as saved, who saved it and when, and whether an auth secret was
set, never the secret. Restoring revision n saves its definition as a new revision (with the
`revision` the caller read, as any save). The stored secret is kept only when revision n had
one set, with the same auth type, and the webhook still sends to the same place; otherwise the
restored webhook has none (`needs_secret` says so): a secret cleared since is never brought back.
The webhook stays in its current company.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import SECRET_FIELDS
from hooksmith.service.actors import Actor
from hooksmith.service.cache import WebhookCache
from hooksmith.service.errors import InvalidInput, NotFound
from hooksmith.service.webhooks import PAGE_SIZE, Page, WebhookView, save_definition, webhook_in
from hooksmith.store import MAX_ID, RevisionRepository, SecretBox, WebhookRepository
from hooksmith.store.models import WebhookRevisionRow


class RevisionView(BaseModel):
    """One kept revision: its number, author, time and definition (the secret only as `*_set`)."""

    webhook_id: int
    revision: int
    created_at: datetime
    created_by: int | None
    author: str | None  # the author's email, while the user exists
    definition: dict[str, Any]


class Change(BaseModel):
    """One field that differs between two revisions."""

    field: str
    before: Any
    after: Any


class RevisionDiff(BaseModel):
    """The fields that changed from revision `before` to revision `after`."""

    webhook_id: int
    before: int
    after: int
    changes: list[Change]


def _definition(kept: WebhookRevisionRow) -> dict[str, Any]:
    definition = dict(kept.definition)
    auth = dict(definition.get("auth") or {})
    field = SECRET_FIELDS.get(str(auth.get("type")))
    if field is not None:
        auth[f"{field}_set"] = kept.secret_set
    return definition | {"auth": auth}


def revision_view(kept: WebhookRevisionRow, author: str | None) -> RevisionView:
    return RevisionView(
        webhook_id=kept.webhook_id,
        revision=kept.revision,
        created_at=kept.created_at,
        created_by=kept.created_by,
        author=author,
        definition=_definition(kept),
    )


async def _webhook_exists(db: AsyncSession, box: SecretBox, actor: Actor, webhook_id: int) -> None:
    await webhook_in(WebhookRepository(db, box), actor.scope, webhook_id)


async def list_revisions(
    db: AsyncSession,
    box: SecretBox,
    actor: Actor,
    webhook_id: int,
    *,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> Page[RevisionView]:
    """One page of a webhook's revisions, newest first."""
    await _webhook_exists(db, box, actor, webhook_id)
    rows, total = await RevisionRepository(db).list(
        actor.scope, webhook_id, offset=offset, limit=limit
    )
    items = [revision_view(kept, author) for kept, author in rows]
    return Page(items=items, total=total, offset=offset, limit=limit)


async def _kept(
    db: AsyncSession, actor: Actor, webhook_id: int, revision: int
) -> tuple[WebhookRevisionRow, str | None]:
    found = await RevisionRepository(db).get(actor.scope, webhook_id, revision)
    if found is None:
        raise NotFound(f"revision: webhook {webhook_id} has no revision {revision}")
    return found


async def get_revision(
    db: AsyncSession, box: SecretBox, actor: Actor, webhook_id: int, revision: int
) -> RevisionView:
    await _webhook_exists(db, box, actor, webhook_id)
    return revision_view(*await _kept(db, actor, webhook_id, revision))


def _flat(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition with the auth's parts as fields of their own (`auth.type`, …)."""
    flat = {name: value for name, value in definition.items() if name != "auth"}
    for name, value in (definition.get("auth") or {}).items():
        flat[f"auth.{name}"] = value
    return flat


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Every field whose value differs between two definitions, in a stable order."""
    old, new = _flat(before), _flat(after)
    names = list(old) + [name for name in new if name not in old]
    return [
        Change(field=name, before=old.get(name), after=new.get(name))
        for name in names
        if old.get(name) != new.get(name)
    ]


async def diff_revisions(
    db: AsyncSession, box: SecretBox, actor: Actor, webhook_id: int, before: int, after: int
) -> RevisionDiff:
    """The field-by-field changes from one revision of a webhook to another."""
    await _webhook_exists(db, box, actor, webhook_id)
    old, _ = await _kept(db, actor, webhook_id, before)
    new, _ = await _kept(db, actor, webhook_id, after)
    return RevisionDiff(
        webhook_id=webhook_id,
        before=before,
        after=after,
        changes=changes(_definition(old), _definition(new)),
    )


async def restore_revision(
    db: AsyncSession,
    box: SecretBox,
    cache: WebhookCache,
    actor: Actor,
    webhook_id: int,
    revision: int,
    data: Any,
) -> WebhookView:
    """Save revision `revision` as the webhook's new revision, if the caller's `revision` (in
    `data`) is still current."""
    current = data.get("revision") if isinstance(data, dict) else None
    if isinstance(current, bool) or not isinstance(current, int) or not 1 <= current <= MAX_ID:
        raise InvalidInput(
            "revision: give the webhook's revision you read (an integer) so a newer save "
            "is not lost",
            field="revision",
        )
    await _webhook_exists(db, box, actor, webhook_id)
    kept, _ = await _kept(db, actor, webhook_id, revision)
    payload = {name: value for name, value in kept.definition.items() if name != "company"}
    return await save_definition(
        db,
        box,
        cache,
        actor,
        webhook_id,
        payload,
        expected_revision=current,
        may_keep_secret=kept.secret_set,
    )
