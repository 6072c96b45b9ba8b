"""Render-only previews of a draft definition: the request that would be sent, nothing sent.

The builder uses it to show body errors at their line while a person types, and to preview a
POST/PUT/PATCH/DELETE before running it for real. Nothing stored is read, so no tenant data is
reachable; an omitted secret is replaced by a stand-in that the result redacts like any secret.
A render costs what an execution's rendering costs, so it counts against the caller's company
limits (an agency's own caller against its agency's).
"""

from __future__ import annotations

from typing import Any

from hooksmith.engine import Result, masked, parse_webhook
from hooksmith.service.actors import Actor
from hooksmith.service.errors import InvalidInput
from hooksmith.service.execution import conversation_or_refuse
from hooksmith.service.runtime import Runtime

SECRET_FIELDS = {"basic": "password", "bearer": "token"}
STAND_IN_SECRET = "stored-secret-not-shown"
STAND_IN_SHOWN = "(the saved secret)"


def _draft(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("definition: must be a JSON object", field="definition")
    draft = dict(data)
    auth = draft.get("auth")
    if isinstance(auth, dict):
        field = SECRET_FIELDS.get(str(auth.get("type")))
        if field is not None and not auth.get(field):
            draft["auth"] = auth | {field: STAND_IN_SECRET}
    return draft


async def render_draft(rt: Runtime, actor: Actor, definition: Any, conversation: Any) -> Result:
    """The request `definition` would send with `conversation` (secrets redacted), or why not."""
    conversation = conversation_or_refuse(conversation, "conversation")
    webhook = parse_webhook(_draft(definition))
    key = limit_key(actor)
    async with rt.limits.admit(key):
        result = await rt.engine.render_async(webhook, conversation, owner=key)
    if result.request is not None:  # the stand-in's masked form would read as a real secret
        for header in result.request.headers:
            header.value = header.value.replace(masked(STAND_IN_SECRET), STAND_IN_SHOWN)
    return result


def limit_key(actor: Actor) -> int:
    """Whose limits a caller's renders count against: its company's, else its agency's.

    Company ids are positive; an agency's key is its id negated, so the two never meet.
    """
    if actor.company_id is not None:
        return actor.company_id
    return -(actor.agency_id or 0)
