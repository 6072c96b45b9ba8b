"""Execute a webhook: render the request, send it through the egress guard, parse, map.

>>> engine = Engine(policy=EgressPolicy.from_setting("api.example.com"))
>>> result = await engine.execute(webhook, {"certainly": {"sessionId": "s-1"}})  # doctest: +SKIP
>>> result.custom_variables                                                    # doctest: +SKIP
{'ticket_id': 7}
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from hooksmith.engine.definition import Webhook
from hooksmith.engine.egress import EgressPolicy
from hooksmith.engine.errors import EngineError, MappingError
from hooksmith.engine.mapping import evaluate_mapper
from hooksmith.engine.parsing import decode_text, parse_body
from hooksmith.engine.redaction import Redactor
from hooksmith.engine.request import PreparedRequest, prepare, redactor_for
from hooksmith.engine.result import (
    HeaderLine,
    ReceivedResponse,
    Result,
    ResultError,
    VariableOutcome,
)
from hooksmith.engine.sandbox import Limits, Sandbox
from hooksmith.engine.transport import Reply, Transport

RESULT_BODY_LIMIT = 1024 * 1024


class Engine:
    """Renders and executes webhooks; holds the sandbox and the pooled transport of a process."""

    def __init__(
        self,
        *,
        policy: EgressPolicy | None = None,
        limits: Limits | None = None,
        max_response_bytes: int = 10 * 1024 * 1024,
        result_body_limit: int = RESULT_BODY_LIMIT,
        proxy: str | None = None,
    ) -> None:
        self.policy = policy or EgressPolicy()
        self.sandbox = Sandbox(limits)
        self.transport = Transport(self.policy, max_response_bytes=max_response_bytes, proxy=proxy)
        self.result_body_limit = result_body_limit

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.transport.close()

    def render(self, webhook: Webhook, conversation: Mapping[str, Any]) -> Result:
        """The request that would be sent (secrets redacted), or the render error; sends nothing."""
        started = time.monotonic()
        try:
            prepared = prepare(
                self.sandbox, webhook, conversation, deadline=started + webhook.timeout
            )
        except EngineError as error:
            return _failed(error, redactor_for(webhook), started)
        return Result(
            ok=True,
            duration_ms=_ms_since(started),
            request=prepared.shown(),
            warnings=list(prepared.warnings),
        )

    async def execute(self, webhook: Webhook, conversation: Mapping[str, Any]) -> Result:
        """Send the webhook with this conversation's data and map its custom variables."""
        started = time.monotonic()
        deadline = started + webhook.timeout
        prepared: PreparedRequest | None = None
        try:
            prepared = prepare(self.sandbox, webhook, conversation, deadline=deadline)
            reply = await self.transport.send(prepared.outgoing(), deadline=deadline)
        except EngineError as error:
            redactor = prepared.redactor if prepared is not None else redactor_for(webhook)
            result = _failed(error, redactor, started)
            if prepared is not None:
                result.request = prepared.shown()
                result.warnings = list(prepared.warnings)
            return result
        return self._finish(webhook, conversation, prepared, reply, started, deadline)

    def _finish(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        prepared: PreparedRequest,
        reply: Reply,
        started: float,
        deadline: float,
    ) -> Result:
        redactor = prepared.redactor
        warnings = list(prepared.warnings)
        error: ResultError | None = None
        content_type = _header(reply.headers, "content-type")
        is_success = 200 <= reply.status < 300
        try:
            parsed = parse_body(reply.body, webhook.response_type, content_type)
        except EngineError as parse_error:
            parsed = decode_text(reply.body, content_type)
            if is_success:
                error = ResultError(
                    kind=parse_error.kind, message=redactor.text(parse_error.message)
                )
            else:
                warnings.append(f"the error response is not {webhook.response_type.value}")
        if not is_success:
            reason = _reason(reply.status)
            error = ResultError(
                kind="http_error", message=f"the API answered {reply.status} {reason}".rstrip()
            )

        outcomes, mapping_error = self._map(
            webhook, conversation, parsed, reply, deadline, redactor
        )
        warnings.extend(
            f"custom variable {o.name}: {o.reason}" for o in outcomes if not o.found and o.reason
        )
        if error is None and mapping_error is not None:
            error = mapping_error
        return Result(
            ok=error is None,
            status=reply.status,
            duration_ms=_ms_since(started),
            request=prepared.shown(),
            response=self._shown_response(reply, parsed, redactor),
            custom_variables={o.name: o.value for o in outcomes},
            mapping=outcomes,
            error=error,
            warnings=[redactor.text(w) for w in warnings],
        )

    def _map(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        parsed: Any,
        reply: Reply,
        deadline: float,
        redactor: Redactor,
    ) -> tuple[list[VariableOutcome], ResultError | None]:
        """Each custom variable's outcome, its value redacted; and the first mapper that fails."""
        scope: dict[str, Any] = dict(conversation)
        scope.update(
            response=parsed,
            status=reply.status,
            headers={key.lower(): value for key, value in reply.headers},
        )
        outcomes: list[VariableOutcome] = []
        first_error: ResultError | None = None
        for variable in webhook.custom_variables:
            try:
                outcome = evaluate_mapper(self.sandbox, variable.mapper, scope, deadline=deadline)
            except MappingError as error:  # the mapper does not compile
                message = f"custom_variables.{variable.name}: {error.message}"
                first_error = first_error or ResultError(
                    kind=error.kind, message=message, field="custom_variables"
                )
                outcomes.append(
                    VariableOutcome(name=variable.name, mapper=variable.mapper, reason=message)
                )
                continue
            outcomes.append(
                VariableOutcome(
                    name=variable.name,
                    mapper=variable.mapper,
                    value=redactor.data(outcome.value),
                    found=outcome.found,
                    reason=outcome.reason,
                )
            )
        return outcomes, first_error

    def _shown_response(self, reply: Reply, parsed: Any, redactor: Redactor) -> ReceivedResponse:
        body: Any = parsed
        truncated = False
        if len(reply.body) > self.result_body_limit:
            text = parsed if isinstance(parsed, str) else json.dumps(parsed, ensure_ascii=False)
            body, truncated = text[: self.result_body_limit], True
        return ReceivedResponse(
            status=reply.status,
            headers=[HeaderLine(key=k, value=redactor.header(k, v)) for k, v in reply.headers],
            body=redactor.data(body),
            size=len(reply.body),
            truncated=truncated,
        )


def _failed(error: EngineError, redactor: Redactor, started: float) -> Result:
    return Result(
        ok=False,
        duration_ms=_ms_since(started),
        error=ResultError(kind=error.kind, message=redactor.text(error.message), field=error.field),
    )


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def default_policy() -> EgressPolicy:
    """The operator's egress exemptions from `HOOKSMITH_EGRESS_ALLOW`, read when called."""
    return EgressPolicy.from_setting(os.environ.get("HOOKSMITH_EGRESS_ALLOW"))


def render(webhook: Webhook, conversation: Mapping[str, Any] | None = None) -> Result:
    """The request a webhook would send for this conversation; nothing is sent.

    >>> render(hook, {"userName": "Ana"}).request.url  # doctest: +SKIP
    'https://api.example.com/users?name=Ana'
    """
    return Engine(policy=default_policy()).render(webhook, conversation or {})


async def execute(
    webhook: Webhook, conversation: Mapping[str, Any] | None = None, *, engine: Engine | None = None
) -> Result:
    """Execute a webhook once; pass a long-lived `Engine` to reuse its connection pool.

    >>> result = await execute(hook, {"userName": "Ana"})  # doctest: +SKIP
    >>> result.ok, result.custom_variables                  # doctest: +SKIP
    (True, {'user_id': 7})
    """
    if engine is not None:
        return await engine.execute(webhook, conversation or {})
    async with Engine(policy=default_policy()) as oneshot:
        return await oneshot.execute(webhook, conversation or {})
