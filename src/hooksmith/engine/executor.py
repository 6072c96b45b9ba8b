"""Execute a webhook: render the request, send it through the egress guard, parse, map.

>>> engine = Engine(policy=EgressPolicy.from_setting("api.example.com"))
>>> result = await engine.execute(webhook, {"certainly": {"sessionId": "s-1"}})  # doctest: +SKIP
>>> result.custom_variables                                                    # doctest: +SKIP
{'ticket_id': 7}
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any, TypeVar

from hooksmith.engine.breaker import CircuitBreaker
from hooksmith.engine.budget import INLINE_SHARE, InlineShare
from hooksmith.engine.capacity import Capacity, OutboundLimits
from hooksmith.engine.company import (
    CompanyValues,
    ReferenceMemo,
    References,
    scopes,
    secret_hosts,
    unknown_names,
    with_company_auth,
)
from hooksmith.engine.definition import OAuth2Auth, Webhook
from hooksmith.engine.egress import EgressPolicy
from hooksmith.engine.errors import EngineError, MappingError, NoSample
from hooksmith.engine.oauth import Token, TokenCache, TokenStore, fetch_token, token_key
from hooksmith.engine.parsing import decode_text, parse_body
from hooksmith.engine.phases import Reading, read_answer
from hooksmith.engine.redaction import Redactor
from hooksmith.engine.renderers import RendererPool
from hooksmith.engine.request import PreparedRequest, prepare, redactor_for
from hooksmith.engine.result import (
    ReceivedResponse,
    Result,
    ResultError,
    VariableOutcome,
    outcome_of,
)
from hooksmith.engine.retry import (
    IDEMPOTENCY_HEADER,
    Backoff,
    RetryPlan,
    Sent,
    new_idempotency_key,
    send_with_retries,
)
from hooksmith.engine.samples import SampleAnswer
from hooksmith.engine.sandbox import Limits, Sandbox
from hooksmith.engine.tracecontext import TraceContext
from hooksmith.engine.transport import Reply, Transport
from hooksmith.engine.triage import CompileFirst, NotInline

RESULT_BODY_LIMIT = 1024 * 1024
# How long a straight-line phase may hold the event loop before it goes on in a renderer
# process instead (a safety net: straight-line templates take microseconds).
INLINE_SECONDS = 0.005
_MAX_COMPILES_BESIDE = 32
T = TypeVar("T")


class Engine:
    """Renders and executes webhooks; holds the sandbox and the pooled transport of a process.

    With `renderers`, only straight-line templates render in this process (`triage`); the
    rest render in the pool's processes, so no template can stall or exhaust the caller.
    """

    def __init__(
        self,
        *,
        policy: EgressPolicy | None = None,
        limits: Limits | None = None,
        max_response_bytes: int = 10 * 1024 * 1024,
        result_body_limit: int = RESULT_BODY_LIMIT,
        proxy: str | None = None,
        backoff: Backoff | None = None,
        breaker_threshold: int = 5,
        breaker_cooldown: float = 30.0,
        renderers: RendererPool | None = None,
        outbound: OutboundLimits | None = None,
        tokens: TokenStore | None = None,
    ) -> None:
        """`tokens` shares OAuth2 tokens with other processes (else they are kept here only)."""
        self.policy = policy or EgressPolicy()
        self.limits = limits
        self.renderers = renderers
        self.sandbox = Sandbox(limits, inline_only=renderers is not None)
        self._whole_sandbox: Sandbox | None = None
        self._compiler: ThreadPoolExecutor | None = None  # one thread: compiles queue there
        self.transport = Transport(
            self.policy,
            max_response_bytes=max_response_bytes,
            proxy=proxy,
            capacity=Capacity(outbound),
        )
        self.result_body_limit = result_body_limit
        self.backoff = backoff or Backoff()
        self.breaker = CircuitBreaker(threshold=breaker_threshold, cooldown=breaker_cooldown)
        self.tokens = TokenCache(tokens)
        self.references = ReferenceMemo()
        # Per (webhook, company values) object pair: the filled-in webhook and its redactor.
        self._filled: OrderedDict[tuple[int, int], tuple[Webhook, CompanyValues, _WithCompany]] = (
            OrderedDict()
        )

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.transport.close()
        if self.renderers is not None:
            await self.renderers.close()
        if self._compiler is not None:
            self._compiler.shutdown(wait=False)

    def render(self, webhook: Webhook, conversation: Mapping[str, Any]) -> Result:
        """The request that would be sent (secrets redacted), or the render error; sends nothing.

        Everything renders in this process: this is the library's and the CLI's call; a
        server renders with `render_async`.
        """
        started = time.monotonic()
        deadline = started + webhook.timeout
        try:
            try:
                prepared = prepare(self.sandbox, webhook, conversation, deadline=deadline)
            except NotInline:
                sandbox = self._whole_sandbox = self._whole_sandbox or Sandbox(self.limits)
                prepared = prepare(sandbox, webhook, conversation, deadline=deadline)
        except EngineError as error:
            return _failed(error, redactor_for(webhook), started)
        return _rendered(webhook, prepared, started)

    async def render_async(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        *,
        owner: object = None,
        values: CompanyValues | None = None,
    ) -> Result:
        """As `render`, with templates that are not straight-line rendered in the renderers
        (`owner`, e.g. the company, is who has a turn at them); `values` are the company's
        secrets and variables."""
        started = time.monotonic()
        try:
            company = self._company(webhook, conversation, values)
        except EngineError as error:
            return _failed(error, redactor_for(webhook), started)
        try:
            prepared = await self._prepare(
                company.webhook,
                company.conversation,
                started + webhook.timeout,
                owner,
                company.request_scope,
            )
        except EngineError as error:
            return _failed(error, company.redactor, started)
        return _rendered(webhook, company.applied(prepared), started)

    def _company(
        self, webhook: Webhook, conversation: Mapping[str, Any], values: CompanyValues | None
    ) -> _WithCompany:
        """The webhook and data with the company's secrets and variables it names; raises
        `UnknownSecret`, `UnknownVariable` or a `RenderError` of its auth."""
        found = self.references.of(webhook)
        if not found:
            return _WithCompany(webhook, conversation)
        values = values or CompanyValues()
        missing = unknown_names(found, values)
        if missing is not None:
            raise missing
        key = (id(webhook), id(values))
        entry = self._filled.get(key)
        if entry is None or entry[0] is not webhook or entry[1] is not values:
            filled = with_company_auth(webhook, values)
            carried = tuple(values.secrets[name].value for name in found.secrets)
            ready = _WithCompany(
                filled,
                {},
                redactor_for(filled, carried),
                found=found,
                secret_hosts=secret_hosts(found, values),
            )
            entry = self._filled[key] = (webhook, values, ready)
            if len(self._filled) > 1024:
                self._filled.popitem(last=False)
        request_scope, body_scope = scopes(conversation, found, values)
        return dataclasses.replace(entry[2], conversation=body_scope, request_scope=request_scope)

    async def _prepare(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        deadline: float,
        owner: object = None,
        request_scope: Mapping[str, Any] | None = None,
    ) -> PreparedRequest:
        """The rendered request: inline when straight-line, else in a renderer process."""
        if self.renderers is None:
            return prepare(
                self.sandbox, webhook, conversation, deadline=deadline, request_scope=request_scope
            )
        try:
            return await self._inline(
                lambda: prepare(
                    self.sandbox,
                    webhook,
                    conversation,
                    deadline=deadline,
                    request_scope=request_scope,
                )
            )
        except NotInline:
            return await self.renderers.prepare(
                webhook,
                conversation,
                deadline=deadline,
                owner=owner,
                request_scope=request_scope,
            )

    async def _inline(self, phase: Callable[[], T]) -> T:
        """Run a phase on the event loop, its middling templates compiled in a thread first.

        Raises `NotInline` when the phase must run in a renderer process instead.
        """
        for _ in range(_MAX_COMPILES_BESIDE):
            # Set and reset here rather than through a context manager: this is the hot path.
            token = INLINE_SHARE.set(InlineShare(INLINE_SECONDS))
            try:
                return phase()
            except CompileFirst as pending:
                compile_first = pending.compile
            finally:
                INLINE_SHARE.reset(token)
            if self._compiler is None:
                self._compiler = ThreadPoolExecutor(1, thread_name_prefix="hooksmith-compile")
            await asyncio.get_running_loop().run_in_executor(self._compiler, compile_first)
        raise NotInline("too many templates to compile")

    async def _read(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        scope: Mapping[str, Any],
        answer: tuple[int, tuple[tuple[str, str], ...], bytes, bool],
        *,
        check_condition: bool,
        deadline: float,
        owner: object = None,
    ) -> Reading:
        """The success condition and the mappers: inline when straight-line, else in the pool."""
        mappers = [variable.mapper for variable in webhook.custom_variables]
        condition = webhook.success_condition if check_condition else None
        if self.renderers is None:
            return read_answer(self.sandbox, mappers, condition, scope, deadline=deadline)
        try:
            return await self._inline(
                lambda: read_answer(self.sandbox, mappers, condition, scope, deadline=deadline)
            )
        except NotInline:
            return await self.renderers.read(
                webhook,
                conversation,
                answer,
                check_condition=check_condition,
                deadline=deadline,
                owner=owner,
            )

    async def _rendered_request(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        deadline: float,
        company: Hashable,
        values: CompanyValues | None,
        started: float,
    ) -> tuple[Webhook, Mapping[str, Any], PreparedRequest] | Result:
        """The webhook and data with the company values it names filled in, and its rendered
        request; or the failed result when a value is unknown or the request cannot render."""
        with_company: _WithCompany | None = None
        if self.references.of(webhook):  # most webhooks name no company value: no more work
            try:
                with_company = self._company(webhook, conversation, values)
            except EngineError as error:
                return self._failed(webhook, error, redactor_for(webhook), started)
            webhook, conversation = with_company.webhook, with_company.conversation
        try:
            prepared = await self._prepare(
                webhook,
                conversation,
                deadline,
                company,
                with_company.request_scope if with_company is not None else None,
            )
        except EngineError as error:
            redactor = with_company.redactor if with_company else redactor_for(webhook)
            return self._failed(webhook, error, redactor, started)
        if with_company is not None:
            prepared = with_company.applied(prepared)
        return webhook, conversation, prepared

    async def execute(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        company: Hashable = None,
        trace: TraceContext | None = None,
        values: CompanyValues | None = None,
    ) -> Result:
        """Send the webhook with this conversation's data and map its custom variables.

        Failed attempts are retried as `webhook.retry` allows, all within `webhook.timeout`;
        `idempotency_key` (an async run's id) is sent as `Idempotency-Key`; without one, a POST
        or PATCH that may be retried gets a fresh key for this execution. A key header the
        author set stays as it is. `company` (the tenant's id)
        is whose per-company connection limit the request counts against and who has a turn at
        the renderer processes. `trace` (the caller's W3C trace) is passed on to the upstream
        as a new span of that trace, unless the webhook sets `traceparent` itself. `values`
        are the company's secrets and variables (docs/design.md#company-secrets-and-variables).
        """
        started = time.monotonic()
        deadline = started + webhook.timeout
        ready = await self._rendered_request(
            webhook, conversation, deadline, company, values, started
        )
        if isinstance(ready, Result):
            return ready
        webhook, conversation, prepared = ready
        plan = RetryPlan.of(webhook)
        if (plan.needs_idempotency_key or idempotency_key) and not any(
            key.lower() == IDEMPOTENCY_HEADER.lower() for key, _ in prepared.headers
        ):
            key = idempotency_key or new_idempotency_key()
            headers = (*prepared.headers, (IDEMPOTENCY_HEADER, key))
            prepared = dataclasses.replace(prepared, headers=headers)
        if trace is not None:
            prepared = _traced(prepared, trace)
        oauth = webhook.auth if isinstance(webhook.auth, OAuth2Auth) else None
        if oauth is not None:
            try:
                prepared = await self._with_token(oauth, prepared, deadline, company)
            except EngineError as error:
                return self._unanswered(webhook, error, prepared, started)
        sent = await self._send(prepared, plan, deadline, company)
        if oauth is not None and sent.reply is not None and sent.reply.status == 401:
            # The token may have been revoked before its time: drop it, get one more, re-send once.
            try:
                again = await self._with_token(oauth, prepared, deadline, company, renew=True)
            except EngineError as error:
                sent.warnings.append(f"the API answered 401 and {error.message}")
            else:
                first = sent
                prepared = again
                sent = await self._send(prepared, plan, deadline, company)
                sent.attempts = [
                    attempt.model_copy(update={"number": number})
                    for number, attempt in enumerate([*first.attempts, *sent.attempts], 1)
                ]
                sent.warnings[:0] = [
                    *first.warnings,
                    "the API answered 401: the OAuth2 token was fetched again and the "
                    "request sent once more",
                ]
        if sent.reply is not None:
            result = await self._finish(
                webhook, conversation, prepared, sent.reply, started, deadline, company
            )
        else:
            assert sent.failure is not None
            result = self._unanswered(webhook, sent.failure, prepared, started)
        result.attempts = sent.attempts
        result.warnings.extend(prepared.redactor.text(w) for w in sent.warnings)
        return result

    async def _send(
        self, prepared: PreparedRequest, plan: RetryPlan, deadline: float, company: Hashable
    ) -> Sent:
        return await send_with_retries(
            self.transport,
            prepared.outgoing(),
            plan,
            deadline=deadline,
            breaker=self.breaker,
            backoff=self.backoff,
            company=company,
        )

    async def _with_token(
        self,
        auth: OAuth2Auth,
        prepared: PreparedRequest,
        deadline: float,
        company: Hashable,
        *,
        renew: bool = False,
    ) -> PreparedRequest:
        """The request with an OAuth2 access token (kept, shared or fetched once) as its bearer
        token; `renew` replaces the token the request carries. Raises `AuthFailed`."""
        key = token_key(company, auth)

        async def fetch() -> Token:
            return await fetch_token(
                self.transport,
                auth,
                deadline=deadline,
                company=company,
                secret_hosts=prepared.secret_hosts,
            )

        if renew:
            carried = next(v for k, v in prepared.headers if k == "Authorization")
            token = await self.tokens.renew(key, company, carried.removeprefix("Bearer "), fetch)
        else:
            token = await self.tokens.token(key, company, fetch)
        headers = [(k, v) for k, v in prepared.headers if k != "Authorization"]
        headers.append(("Authorization", f"Bearer {token.value}"))
        return dataclasses.replace(
            prepared, headers=tuple(headers), redactor=prepared.redactor.adding(token.value)
        )

    def _unanswered(
        self, webhook: Webhook, error: EngineError, prepared: PreparedRequest, started: float
    ) -> Result:
        """The failed result of a request that got no answer: not sent (no credentials to
        send) or every attempt failed; it shows the request and its render warnings."""
        result = self._failed(webhook, error, prepared.redactor, started)
        result.request = prepared.shown()
        result.warnings = list(prepared.warnings)
        return result

    async def answer(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        sample: SampleAnswer | None,
        *,
        company: Hashable = None,
        values: CompanyValues | None = None,
    ) -> Result:
        """Render the webhook, send nothing, and read `sample` as if the API had answered it.

        The sample goes through the response path of `execute` (response type, success
        condition, mappers, defaults), so the custom variables are what the API's answer would
        give; the result says `mock` and its `request` is the one that was not sent. Without a
        sample, the result fails with `no_sample` and the variables take their defaults.
        """
        started = time.monotonic()
        deadline = started + webhook.timeout
        ready = await self._rendered_request(
            webhook, conversation, deadline, company, values, started
        )
        if isinstance(ready, Result):
            result = ready
        else:
            webhook, conversation, prepared = ready
            if sample is None:
                missing = NoSample(
                    "there is no sample answer to mock with: store one for this webhook, or "
                    "turn the company's mock switch off"
                )
                result = self._failed(webhook, missing, prepared.redactor, started)
                result.request = prepared.shown()
                result.mock = True
                return result
            reply = Reply(
                status=sample.status,
                headers=sample.headers,
                body=sample.body,
                url=prepared.url,
                redirects=0,
            )
            result = await self._finish(
                webhook, conversation, prepared, reply, started, deadline, company
            )
            result.warnings.append("answered from the sample: the request was not sent")
        result.mock = True
        return result

    async def _finish(
        self,
        webhook: Webhook,
        conversation: Mapping[str, Any],
        prepared: PreparedRequest,
        reply: Reply,
        started: float,
        deadline: float,
        owner: object,
    ) -> Result:
        redactor = prepared.redactor
        warnings = list(prepared.warnings)
        error: ResultError | None = None
        content_type = _header(reply.headers, "content-type")
        is_success = 200 <= reply.status < 300
        parsed_ok = True
        try:
            parsed = parse_body(reply.body, webhook.response_type, content_type)
        except EngineError as parse_error:
            parsed_ok = False
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

        scope: dict[str, Any] = dict(conversation)
        scope.update(
            response=parsed,
            status=reply.status,
            headers={key.lower(): value for key, value in reply.headers},
        )
        check_condition = error is None and webhook.success_condition is not None
        answer = (reply.status, reply.headers, reply.body, parsed_ok)
        reading = await self._read(
            webhook,
            conversation,
            scope,
            answer,
            check_condition=check_condition,
            deadline=deadline,
            owner=owner,
        )
        if reading.condition is not None and webhook.success_condition is not None:
            met, why = reading.condition
            if not met:
                error = ResultError(
                    kind="http_error",
                    message=redactor.text(
                        f"the API answered {reply.status} but the success condition "
                        f"({webhook.success_condition.strip()}) is not met: {why}"
                    ),
                    field="success_condition",
                )
        outcomes, mapping_error = self._map(webhook, reading, redactor)
        warnings.extend(
            f"custom variable {o.name}: {o.reason}" for o in outcomes if not o.found and o.reason
        )
        if error is None and mapping_error is not None:
            error = mapping_error
        return Result(
            ok=error is None,
            outcome=outcome_of(error is None, error.kind if error else None),
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
        self, webhook: Webhook, reading: Reading, redactor: Redactor
    ) -> tuple[list[VariableOutcome], ResultError | None]:
        """Each custom variable's outcome, its value redacted; and the first mapper that fails.

        A mapper that yields nothing falls back to the variable's `default`, if it has one.
        """
        outcomes: list[VariableOutcome] = []
        first_error: ResultError | None = None
        for variable, outcome in zip(webhook.custom_variables, reading.outcomes, strict=True):
            if not isinstance(outcome, MappingError):
                value, found, reason = outcome.value, outcome.found, outcome.reason
            else:  # it does not compile, or yields no JSON value
                error = outcome
                value, found = None, False
                reason = f"custom_variables.{variable.name}: {error.message}"
                first_error = first_error or ResultError(
                    kind=error.kind, message=reason, field="custom_variables"
                )
            defaulted = not found and variable.default is not None
            if defaulted:
                value = variable.default
                reason = f"{reason or 'the mapper yields no value'}; the default is used"
            outcomes.append(
                VariableOutcome(
                    name=variable.name,
                    mapper=variable.mapper,
                    value=redactor.data(value),
                    found=found,
                    reason=reason,
                    default_used=defaulted,
                )
            )
        return outcomes, first_error

    def _failed(
        self, webhook: Webhook, error: EngineError, redactor: Redactor, started: float
    ) -> Result:
        """The result of an execution that got no response; variables take their defaults."""
        outcomes = [
            VariableOutcome(
                name=variable.name,
                mapper=variable.mapper,
                value=redactor.data(variable.default),
                reason=f"no response to map ({error.kind}); the default is used",
                default_used=True,
            )
            for variable in webhook.custom_variables
            if variable.default is not None
        ]
        result = _failed(error, redactor, started)
        result.custom_variables = {o.name: o.value for o in outcomes}
        result.mapping = outcomes
        return result

    def _shown_response(self, reply: Reply, parsed: Any, redactor: Redactor) -> ReceivedResponse:
        body: Any = parsed
        truncated = False
        if len(reply.body) > self.result_body_limit:
            text = parsed if isinstance(parsed, str) else json.dumps(parsed, ensure_ascii=False)
            body, truncated = text[: self.result_body_limit], True
        return ReceivedResponse(
            status=reply.status,
            # Dicts, validated with the response in one call (as `PreparedRequest.shown`).
            headers=[{"key": k, "value": redactor.header(k, v)} for k, v in reply.headers],
            body=redactor.data(body),
            size=len(reply.body),
            truncated=truncated,
        )


@dataclasses.dataclass(frozen=True)
class _WithCompany:
    """A webhook and its data with the company values it names filled in, and the redactor
    that hides its secrets and the company's."""

    webhook: Webhook
    conversation: Mapping[str, Any]
    company_redactor: Redactor | None = None
    request_scope: Mapping[str, Any] | None = None
    found: References | None = None
    secret_hosts: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def redactor(self) -> Redactor:
        """The redactor of the webhook's secrets and the company secrets it carries (made only
        when needed: a webhook without company values has it in its request plan already)."""
        return self.company_redactor or redactor_for(self.webhook)

    def applied(self, prepared: PreparedRequest) -> PreparedRequest:
        """`prepared` with this redactor and the hosts its company secrets may go to."""
        if self.company_redactor is None:
            return prepared
        return dataclasses.replace(
            prepared, redactor=self.company_redactor, secret_hosts=self.secret_hosts
        )


def _rendered(webhook: Webhook, prepared: PreparedRequest, started: float) -> Result:
    warnings = list(prepared.warnings)
    if isinstance(webhook.auth, OAuth2Auth):
        warnings.append(
            "auth: the OAuth2 access token is fetched when the webhook is sent, so this "
            "preview has no Authorization header"
        )
    return Result(
        ok=True, duration_ms=_ms_since(started), request=prepared.shown(), warnings=warnings
    )


def _failed(error: EngineError, redactor: Redactor, started: float) -> Result:
    return Result(
        ok=False,
        outcome=outcome_of(False, error.kind),
        duration_ms=_ms_since(started),
        error=ResultError(kind=error.kind, message=redactor.text(error.message), field=error.field),
    )


def _traced(prepared: PreparedRequest, trace: TraceContext) -> PreparedRequest:
    """The request with the trace's headers for a new span, after the webhook's own."""
    taken = frozenset(key.lower() for key, _ in prepared.headers)
    added = trace.child().headers(taken)
    if not added:
        return prepared
    return dataclasses.replace(prepared, headers=(*prepared.headers, *added))


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
    webhook: Webhook,
    conversation: Mapping[str, Any] | None = None,
    *,
    engine: Engine | None = None,
    idempotency_key: str | None = None,
    company: Hashable = None,
    trace: TraceContext | None = None,
    values: CompanyValues | None = None,
) -> Result:
    """Execute a webhook once; pass a long-lived `Engine` to reuse its connection pool.

    >>> result = await execute(hook, {"userName": "Ana"})  # doctest: +SKIP
    >>> result.ok, result.custom_variables                  # doctest: +SKIP
    (True, {'user_id': 7})
    """
    data = conversation or {}
    options: dict[str, Any] = {
        "idempotency_key": idempotency_key,
        "company": company,
        "values": values,
    }
    if engine is not None:
        return await engine.execute(webhook, data, trace=trace, **options)
    async with Engine(policy=default_policy()) as oneshot:
        return await oneshot.execute(webhook, data, trace=trace, **options)
