"""cURL in and out for the API and the builder: import a pasted command, export a stored webhook.

Secrets are write-only in hooksmith, so an exported stored webhook always carries the
`$HOOKSMITH_TOKEN` / `$HOOKSMITH_PASSWORD` placeholders, never its secret.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import SentRequest, parse_curl, request_as_curl, to_curl
from hooksmith.service import runs, webhooks
from hooksmith.service.actors import Actor
from hooksmith.service.errors import InvalidInput, NotFound
from hooksmith.store import SecretBox


def import_curl(command: Any) -> dict[str, Any]:
    """The definition data of a cURL command (not saved: the caller saves it).

    Reading a long command takes a CPU-bound while: the API calls this from a worker thread.
    """
    if not isinstance(command, str) or not command.strip():
        raise InvalidInput("curl: paste a cURL command (text starting with curl)", field="curl")
    return parse_curl(command)


async def webhook_as_curl(db: AsyncSession, box: SecretBox, actor: Actor, webhook_id: int) -> str:
    """A stored webhook of the caller's as a cURL command, its secret as a placeholder."""
    return to_curl(await webhooks.shareable_definition(db, box, actor, webhook_id))


async def run_as_curl(db: AsyncSession, actor: Actor, run_id: str) -> str:
    """A run's request as sent, as a cURL command; redacted secrets stay placeholders."""
    run = await runs.get_run(db, actor, run_id)
    sent = (run.result or {}).get("request")
    if not isinstance(sent, dict):
        raise NotFound(f"run {run_id} sent no request (it failed before sending)")
    return request_as_curl(SentRequest.model_validate(sent))
