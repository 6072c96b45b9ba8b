"""Mock answers: a webhook's sample answer, runs against it, and mocked executes.

A webhook may keep one sample answer (status, headers, body), typed or taken from one of its
runs. A run against the sample renders the webhook (or the builder's draft of it) and reads the
sample as the API's answer, so mappers can be designed before the API exists. An execute with a
staging token, while its company's mock switch is on, answers from the sample the same way and
sends nothing; see docs/design.md#mock-answers.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import Result, SampleAnswer, parse_webhook, with_withheld_secret
from hooksmith.service.actors import Actor
from hooksmith.service.cache import ReadyWebhook, ready
from hooksmith.service.errors import InvalidInput, NotFound
from hooksmith.service.execution import (
    answer_from_sample,
    conversation_or_refuse,
    sample_answer,
)
from hooksmith.service.runtime import Runtime
from hooksmith.service.webhooks import webhook_in
from hooksmith.store import MockState, RunRepository, SampleRepository, WebhookRepository
from hooksmith.store.models import WebhookRow, WebhookSampleRow

MAX_HEADERS = 100
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,200}")
_BAD_VALUE = re.compile(r"[\x00\r\n]")
# Headers that described the bytes on the wire, not the decoded body a run keeps.
_WIRE_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding"})


class SampleHeader(BaseModel):
    key: str
    value: str


class SampleView(BaseModel):
    """A webhook's sample answer: what it holds, where it came from, who set it and when."""

    webhook_id: int
    status: int
    headers: list[SampleHeader]
    body: str
    source: str  # "typed" or "run"
    run_id: str | None
    updated_at: datetime
    updated_by: int | None


def sample_view(row: WebhookSampleRow) -> SampleView:
    return SampleView(
        webhook_id=row.webhook_id,
        status=row.status,
        headers=[SampleHeader(**header) for header in row.headers],
        body=row.body,
        source=row.source,
        run_id=row.run_id,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def checked_sample(
    status: int, headers: list[dict[str, str]], body: str, *, limit: int
) -> list[dict[str, str]]:
    """The headers of a valid sample; `InvalidInput` naming the first field that is not."""
    if not 100 <= status <= 599:
        raise InvalidInput(
            f"status: must be an HTTP status, 100 to 599 (got {status})", field="status"
        )
    if len(headers) > MAX_HEADERS:
        raise InvalidInput(f"headers: at most {MAX_HEADERS} headers", field="headers")
    kept: list[dict[str, str]] = []
    for index, header in enumerate(headers):
        key, value = header["key"], header["value"]
        if not _HEADER_NAME.fullmatch(key):
            raise InvalidInput(
                f"headers[{index}].key: not a header name ({key[:40]!r})",
                field=f"headers[{index}].key",
            )
        if _BAD_VALUE.search(value) or len(value) > 8000:
            raise InvalidInput(
                f"headers[{index}].value: no line breaks or NUL, at most 8000 characters",
                field=f"headers[{index}].value",
            )
        kept.append({"key": key, "value": value})
    size = len(body.encode("utf-8"))
    if size > limit:
        raise InvalidInput(
            f"body: {size} bytes is more than an answer may be ({limit} bytes)", field="body"
        )
    return kept


async def _webhook(rt: Runtime, db: AsyncSession, actor: Actor, webhook_id: int) -> WebhookRow:
    return await webhook_in(
        WebhookRepository(db, rt.box), actor.scope, webhook_id, field="webhook_id"
    )


async def get_sample(rt: Runtime, db: AsyncSession, actor: Actor, webhook_id: int) -> SampleView:
    """The webhook's sample answer; `NotFound` when it has none."""
    await _webhook(rt, db, actor, webhook_id)
    found = await SampleRepository(db).get(actor.scope, webhook_id)
    if found is None:
        raise NotFound(f"webhook {webhook_id} has no sample answer yet")
    return sample_view(found)


async def put_sample(
    rt: Runtime,
    db: AsyncSession,
    actor: Actor,
    webhook_id: int,
    *,
    status: int,
    headers: list[dict[str, str]],
    body: str,
) -> SampleView:
    """Store a typed sample answer, replacing the webhook's sample."""
    await _webhook(rt, db, actor, webhook_id)
    return await _keep_sample(
        rt, db, actor, webhook_id, status, headers, body, source="typed", run_id=None
    )


async def delete_sample(rt: Runtime, db: AsyncSession, actor: Actor, webhook_id: int) -> None:
    """Forget the webhook's sample answer (nothing to forget is no error)."""
    await _webhook(rt, db, actor, webhook_id)
    await SampleRepository(db).delete(webhook_id)
    await db.commit()


def _run_body(body: Any, response_type: str) -> str | None:
    """The text of a run's answer as a sample holds it, or None when it cannot be had back
    (an XML answer is kept parsed)."""
    if isinstance(body, str):
        return body
    if response_type == "json":
        return json.dumps(body, ensure_ascii=False)
    return None


async def sample_from_run(
    rt: Runtime, db: AsyncSession, actor: Actor, webhook_id: int, run_id: str
) -> SampleView:
    """Take the answer of one of the webhook's runs as its sample."""
    webhook = await _webhook(rt, db, actor, webhook_id)
    run = await RunRepository(db).get(actor.scope, run_id)
    if run is None or run.webhook_id != webhook_id:
        raise NotFound(f"webhook {webhook_id} has no run with id {run_id}", field="run_id")
    response = (run.result or {}).get("response")
    if not isinstance(response, dict):
        kind = run.error_kind or run.status
        raise InvalidInput(f"run_id: the run got no answer to take ({kind})", field="run_id")
    if response.get("truncated"):
        raise InvalidInput(
            "run_id: the run kept only the start of its answer; type the sample instead",
            field="run_id",
        )
    body = _run_body(response.get("body"), webhook.definition["response_type"])
    if body is None:
        raise InvalidInput(
            "run_id: the run kept its answer parsed, not as it was sent; type the sample instead",
            field="run_id",
        )
    headers = [
        {"key": str(line.get("key", "")), "value": str(line.get("value", ""))}
        for line in response.get("headers") or []
        if isinstance(line, dict) and str(line.get("key", "")).lower() not in _WIRE_HEADERS
    ]
    status = int(response.get("status") or run.http_status or 200)
    return await _keep_sample(
        rt, db, actor, webhook_id, status, headers, body, source="run", run_id=run.id
    )


async def _keep_sample(
    rt: Runtime,
    db: AsyncSession,
    actor: Actor,
    webhook_id: int,
    status: int,
    headers: list[dict[str, str]],
    body: str,
    *,
    source: str,
    run_id: str | None,
) -> SampleView:
    """Check the answer and store it as the webhook's sample, replacing the one it had."""
    kept = checked_sample(status, headers, body, limit=rt.settings.max_response_bytes)
    row = await SampleRepository(db).put(
        webhook_id,
        status=status,
        headers=kept,
        body=body,
        source=source,
        run_id=run_id,
        user_id=actor.user_id,
    )
    view = sample_view(row)
    await db.commit()
    return view


async def run_against_sample(
    rt: Runtime,
    db: AsyncSession,
    actor: Actor,
    webhook_id: int,
    conversation: Any,
    definition: Any = None,
) -> Result:
    """The webhook (or `definition`, the builder's draft of it) run with its sample as the
    answer: nothing is sent and nothing stored. Secrets are not needed, as nothing is sent."""
    data = conversation_or_refuse(conversation, "conversation")
    repository = WebhookRepository(db, rt.box)
    row = await _webhook(rt, db, actor, webhook_id)
    found = await SampleRepository(db).get(actor.scope, webhook_id)
    if definition is None:
        prepared = ready(repository, row)
    else:
        if not isinstance(definition, dict):
            raise InvalidInput("definition: must be a JSON object", field="definition")
        draft = with_withheld_secret({k: v for k, v in definition.items() if k != "revision"})
        prepared = ReadyWebhook(webhook_id, row.company_id, 0, parse_webhook(draft))
    await db.commit()  # end the read before rendering
    sample = None if found is None else sample_answer(found)
    async with rt.limits.admit(prepared.company_id):
        started = time.perf_counter()
        result = await answer_from_sample(
            rt.engine, prepared, data, sample, margin=rt.margin, values=rt.cache.values
        )
    rt.metrics.count("test", result, time.perf_counter() - started)
    return result


@dataclass(frozen=True)
class Mocked:
    """An execute to answer from the sample (None when the webhook has none)."""

    sample: SampleAnswer | None


async def mocked(rt: Runtime, actor: Actor, webhook: ReadyWebhook) -> Mocked | None:
    """`Mocked` when `actor` is a staging token of a company whose mock switch is on, else
    None: production tokens always send, at no cost on the execute path."""
    if not actor.is_staging:
        return None
    async with rt.open_db() as db:
        state: MockState = await SampleRepository(db).mock_state(webhook.company_id, webhook.id)
        if not state.mock:
            return None
        return Mocked(None if state.sample is None else sample_answer(state.sample))
