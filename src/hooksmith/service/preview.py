"""Render-only previews of a draft definition: the request that would be sent, nothing sent.

The builder uses it to show body errors at their line while a person types, and to preview a
POST/PUT/PATCH/DELETE before running it for real. Nothing stored is read, so no tenant data is
reachable; an omitted secret is replaced by a stand-in that the result redacts like any secret.
A render costs what an execution's rendering costs, so it counts against the caller's company
limits (an agency's own caller against its agency's).
"""

from __future__ import annotations

from typing import Any

from hooksmith.engine import (
    WITHHELD_SECRET,
    CompanySecret,
    CompanyValues,
    Result,
    parse_webhook,
    references,
    with_withheld_secret,
)
from hooksmith.service.actors import Actor
from hooksmith.service.errors import InvalidInput
from hooksmith.service.execution import conversation_or_refuse
from hooksmith.service.runtime import Runtime


def _draft(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("definition: must be a JSON object", field="definition")
    return with_withheld_secret(data)


async def render_draft(rt: Runtime, actor: Actor, definition: Any, conversation: Any) -> Result:
    """The request `definition` would send with `conversation` (secrets redacted), or why not."""
    conversation = conversation_or_refuse(conversation, "conversation")
    webhook = parse_webhook(_draft(definition))
    key = limit_key(actor)
    values = None
    found = rt.engine.references.of(webhook)
    if found:
        # A company's own values (its cache); an agency's caller previews with stand-ins.
        values = await rt.cache.values.get(key) if key > 0 else stand_ins(webhook)
    async with rt.limits.admit(key):
        return await rt.engine.render_async(webhook, conversation, owner=key, values=values)


def stand_ins(webhook: Any) -> CompanyValues:
    """Company values that show where each named secret and variable goes, without values."""
    found = references(webhook)
    return CompanyValues(
        secrets={name: CompanySecret(WITHHELD_SECRET, ()) for name in found.secrets},
        variables={name: f"vars.{name}" for name in found.variables},
    )


def limit_key(actor: Actor) -> int:
    """Whose limits a caller's renders count against: its company's, else its agency's.

    Company ids are positive; an agency's key is its id negated, so the two never meet.
    """
    if actor.company_id is not None:
        return actor.company_id
    return -(actor.agency_id or 0)
