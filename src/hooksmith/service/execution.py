"""One execution of a stored webhook under its deadline, shared by live, async and test runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import (
    NOT_A_CONVERSATION,
    CompanyValues,
    Engine,
    Result,
    ResultError,
    SampleAnswer,
    TraceContext,
    conversation_data,
)
from hooksmith.service.cache import ReadyWebhook
from hooksmith.service.company_values import CompanyValuesCache
from hooksmith.service.errors import InvalidInput
from hooksmith.store import SampleRepository
from hooksmith.store.models import WebhookSampleRow


async def run_webhook(
    engine: Engine,
    ready: ReadyWebhook,
    conversation: Mapping[str, Any],
    *,
    margin: float,
    idempotency_key: str | None = None,
    trace: TraceContext | None = None,
    values: CompanyValuesCache | None = None,
) -> Result:
    """Execute within the webhook's time-out plus `margin`; failures are results, not errors.
    `idempotency_key` is sent as the `Idempotency-Key` header (an async run's id); `trace` is
    the bot's W3C trace, passed on to the upstream as a new span. `values` holds the company
    secrets and variables, read (from its cache) only when the webhook names some."""
    if ready.missing_secret is not None:
        return Result(
            ok=False,
            error=ResultError(
                kind="invalid_definition",
                message=(
                    f"{ready.missing_secret}: no secret is stored (it was cleared when the URL's "
                    "host changed, or it cannot be decrypted); set it again"
                ),
                field=ready.missing_secret,
            ),
        )
    return await _within_deadline(
        engine,
        ready,
        margin,
        values,
        lambda company_values: engine.execute(
            ready.webhook,
            conversation,
            company=ready.company_id,
            idempotency_key=idempotency_key,
            trace=trace,
            values=company_values,
        ),
    )


def sample_answer(row: WebhookSampleRow) -> SampleAnswer:
    """The engine's form of a stored sample answer."""
    headers = tuple((header["key"], header["value"]) for header in row.headers)
    return SampleAnswer(status=row.status, headers=headers, body=row.body.encode("utf-8"))


async def stored_sample(db: AsyncSession, webhook_id: int) -> SampleAnswer | None:
    """The webhook's sample for a worker's mocked run (workers act for every company)."""
    found = await SampleRepository(db).sample_of(webhook_id)
    return None if found is None else sample_answer(found)


async def answer_from_sample(
    engine: Engine,
    ready: ReadyWebhook,
    conversation: Mapping[str, Any],
    sample: SampleAnswer | None,
    *,
    margin: float,
    values: CompanyValuesCache | None = None,
) -> Result:
    """A mocked execution: the webhook rendered and `sample` read as its answer, nothing sent
    (docs/design.md#mock-answers); without a sample, a `no_sample` failure (variables take
    their defaults, as after any failure). `values` as for `run_webhook`."""
    return await _within_deadline(
        engine,
        ready,
        margin,
        values,
        lambda company_values: engine.answer(
            ready.webhook,
            conversation,
            sample,
            company=ready.company_id,
            values=company_values,
        ),
        mock=True,
    )


async def _within_deadline(
    engine: Engine,
    ready: ReadyWebhook,
    margin: float,
    values: CompanyValuesCache | None,
    step: Callable[[CompanyValues | None], Awaitable[Result]],
    *,
    mock: bool = False,
) -> Result:
    """`step` given the company values the webhook names, within the webhook's time-out plus
    `margin`; past it, a `timeout` failure (marked `mock` for a mocked execution)."""
    started = time.monotonic()
    limit = ready.webhook.timeout + margin
    company_values = await _named_values(engine, ready, values)
    try:
        # A timer on this task rather than `wait_for`'s second task per execution.
        async with asyncio.timeout(limit):
            return await step(company_values)
    except TimeoutError:
        return Result(
            ok=False,
            mock=mock,
            duration_ms=round((time.monotonic() - started) * 1000, 3),
            error=ResultError(
                kind="timeout", message=f"the webhook did not finish within {limit:g} seconds"
            ),
        )


async def _named_values(
    engine: Engine, ready: ReadyWebhook, values: CompanyValuesCache | None
) -> CompanyValues | None:
    """The company's secrets and variables when the webhook names some (else no lookup)."""
    if values is None or ready.company_id <= 0 or not engine.references.of(ready.webhook):
        return None
    return await values.get(ready.company_id)


def session_id_of(conversation: Mapping[str, Any]) -> str | None:
    """The conversation's `certainly.sessionId`, kept with the run for tracing."""
    certainly = conversation.get("certainly")
    if isinstance(certainly, Mapping):
        session_id = certainly.get("sessionId")
        if isinstance(session_id, str | int) and not isinstance(session_id, bool):
            return str(session_id)[:200]
    return None


def conversation_or_refuse(data: Any, field: str) -> dict[str, Any]:
    """Conversation data from a request, or `InvalidInput` naming `field` when it is no object."""
    conversation = conversation_data(data)
    if conversation is None:
        raise InvalidInput(f"{field}: {NOT_A_CONVERSATION}", field=field)
    return conversation
