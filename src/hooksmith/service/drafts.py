"""Drafts: a definition as the builder holds it, checked or run without being saved.

A check lists every problem of the draft by field (the shape rules of
docs/design.md#the-webhook, and the templates and mappers that can never work) and says whether
saving it would clear the stored secret of the webhook it edits. A draft run executes the draft
as it is, stores nothing and makes no revision; it may use the stored secret of the webhook it
edits, but only while the draft still sends where the stored webhook sends
(`webhooks.destination`, and for OAuth2 the token URL's host) with the same kind of auth, so a
draft can never carry a stored secret to another host. The secret itself never leaves the
service: results redact it like any secret.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import (
    InvalidDefinition,
    Result,
    omitted_secret,
    parse_webhook,
    template_problems,
    with_withheld_secret,
)
from hooksmith.service.actors import Actor
from hooksmith.service.cache import ReadyWebhook
from hooksmith.service.errors import InvalidInput
from hooksmith.service.execution import conversation_or_refuse, run_webhook
from hooksmith.service.preview import limit_key
from hooksmith.service.runtime import Runtime
from hooksmith.service.webhooks import (
    destination,
    stored_destination,
    stored_secret,
    token_origin,
    webhook_in,
)
from hooksmith.store import TenantRepository, WebhookRepository
from hooksmith.store.models import WebhookRow


class Problem(BaseModel):
    """One thing wrong with a draft, named by its field path (`headers[0].value`)."""

    field: str
    message: str


class DraftCheck(BaseModel):
    """What is wrong with a draft, and which stored secret saving it would clear."""

    problems: list[Problem]
    clears_secret: str | None = None  # the secret field: "token", "password", "key", …


def _draft(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("definition: must be a JSON object", field="definition")
    draft = dict(data)
    draft.pop("revision", None)
    return draft


def _same_destination(row: WebhookRow, draft: dict[str, Any]) -> bool:
    """The draft sends where `row` sends, and an OAuth2 client secret goes where it went."""
    url, context = draft.get("url"), draft.get("context") or {}
    if not isinstance(url, str) or not isinstance(context, dict):
        return False
    if token_origin(draft.get("auth")) != token_origin(row.definition["auth"]):
        return False
    return destination(url, context) == stored_destination(row)


def secret_to_clear(row: WebhookRow, draft: dict[str, Any]) -> str | None:
    """The stored secret (`token`, `password`) that saving `draft` over `row` would clear:
    the draft keeps the auth type but leaves the secret out, and sends somewhere else."""
    field = omitted_secret(draft.get("auth"))
    auth = draft.get("auth")
    if field is None or row.auth_secret_ciphertext is None or not isinstance(auth, dict):
        return None
    if auth.get("type") != row.auth_type or _same_destination(row, draft):
        return None
    return field


async def _row(db: AsyncSession, rt: Runtime, actor: Actor, webhook_id: int) -> WebhookRow:
    return await webhook_in(
        WebhookRepository(db, rt.box), actor.scope, webhook_id, field="webhook_id"
    )


async def check_draft(
    rt: Runtime, db: AsyncSession, actor: Actor, definition: Any, webhook_id: int | None
) -> DraftCheck:
    """Every problem of `definition`, and the secret saving it over `webhook_id` would clear."""
    draft = _draft(definition)
    clears = None
    if webhook_id is not None:
        clears = secret_to_clear(await _row(db, rt, actor, webhook_id), draft)
        await db.commit()
    draft = with_withheld_secret(draft)  # a write-only secret left out is no problem of a draft
    try:
        webhook = parse_webhook(draft)
    except InvalidDefinition as invalid:
        found = invalid.errors
    else:
        # Compiling costs what a render's compile costs: it counts against the same limits.
        async with rt.limits.admit(limit_key(actor)):
            found = await asyncio.to_thread(template_problems, webhook)
    problems = [Problem(field=field, message=message) for field, message in found]
    return DraftCheck(problems=problems, clears_secret=clears)


async def run_draft(
    rt: Runtime,
    db: AsyncSession,
    actor: Actor,
    definition: Any,
    conversation: Any,
    webhook_id: int | None,
) -> Result:
    """Execute `definition` with `conversation` as it is: nothing stored, no revision made."""
    conversation = conversation_or_refuse(conversation, "conversation")
    draft = _draft(definition)
    owner = limit_key(actor)
    omitted = omitted_secret(draft.get("auth"))
    chosen = draft.get("company")
    if webhook_id is None and owner <= 0 and isinstance(chosen, str):
        # A new draft of an agency user: its "Assign to" company's secrets and variables.
        company = await TenantRepository(db).company_by_slug(actor.scope, chosen)
        await db.commit()
        if company is not None:
            owner = company.id
    if webhook_id is not None:
        row = await _row(db, rt, actor, webhook_id)
        owner = row.company_id
        repository = WebhookRepository(db, rt.box)
        if omitted is not None and _may_use_stored_secret(row, draft):
            secret = stored_secret(repository, row)
            if secret is not None:
                draft["auth"] = draft["auth"] | {omitted: secret}
                omitted = None
        await db.commit()  # end the read before the request, which may take seconds
    if omitted is not None:
        raise InvalidInput(
            f"auth.{omitted}: enter the {omitted} to run this draft (a saved {omitted} is used "
            "only while the URL's host stays the one it was saved with)",
            field=f"auth.{omitted}",
        )
    webhook = parse_webhook(draft)
    prepared = ReadyWebhook(id=webhook_id or 0, company_id=owner, revision=0, webhook=webhook)
    async with rt.limits.admit(owner):
        started = time.perf_counter()
        result = await run_webhook(
            rt.engine, prepared, conversation, margin=rt.margin, values=rt.cache.values
        )
    rt.metrics.count("test", result, time.perf_counter() - started)
    return result


def _may_use_stored_secret(row: WebhookRow, draft: dict[str, Any]) -> bool:
    """Same auth type, same destination, and no newly allowed conversation-chosen host."""
    auth = draft.get("auth")
    if not isinstance(auth, dict) or auth.get("type") != row.auth_type:
        return False
    if draft.get("host_from_conversation") is True and not row.definition["host_from_conversation"]:
        return False
    return _same_destination(row, draft)
