"""Retries of a webhook: which attempts are sent again, and when.

A failed attempt is retried when its status or error kind is one of `retry.on`, the method may
be repeated (POST and PATCH only with `retry.non_idempotent`), retries are left, and the wait
before the next attempt ends inside the webhook's total deadline. The wait is the answer's
`Retry-After` when it has one, else exponential backoff with full jitter.

    >>> plan = RetryPlan.of(Webhook(name="w", url="https://a.example", retry={"attempts": 2}))
    >>> plan.retries, plan.retryable(503, None), plan.retryable(404, None)
    (2, True, False)
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

from hooksmith.engine.breaker import CircuitBreaker, Verdict, origin_of, verdict_of
from hooksmith.engine.definition import Method, RetryTrigger, Webhook
from hooksmith.engine.errors import CircuitOpen, EngineError, NoFreeConnection
from hooksmith.engine.result import Attempt
from hooksmith.engine.transport import OutgoingRequest, Reply, Transport

NON_IDEMPOTENT: Final = frozenset({Method.POST, Method.PATCH})
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
# Time an attempt needs at the least to be worth sending; a wait that leaves less is not taken.
MIN_ATTEMPT_SECONDS: Final = 0.05


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: before retry n, a random wait in
    [0, min(cap, base · 2ⁿ⁻¹)] seconds, so clients that failed together do not return together.

    >>> Backoff(base=0.2, cap=5.0).ceiling(3)
    0.8
    """

    base: float = 0.2
    cap: float = 5.0

    def ceiling(self, retry: int) -> float:
        return min(self.cap, self.base * 2.0 ** min(retry - 1, 64))

    def delay(self, retry: int, uniform: Callable[[], float] = random.random) -> float:
        """The wait before retry number `retry` (1 for the first retry)."""
        return self.ceiling(retry) * uniform()


@dataclass(frozen=True)
class RetryPlan:
    """What one webhook's definition allows: how many retries, on what, with which key."""

    retries: int
    on: frozenset[RetryTrigger]
    needs_idempotency_key: bool

    @classmethod
    def of(cls, webhook: Webhook) -> RetryPlan:
        retry = webhook.retry
        repeatable = webhook.method not in NON_IDEMPOTENT or retry.non_idempotent
        retries = retry.attempts if repeatable else 0
        return cls(
            retries=retries,
            on=frozenset(retry.on),
            needs_idempotency_key=retries > 0 and webhook.method in NON_IDEMPOTENT,
        )

    def retryable(self, status: int | None, error_kind: str | None) -> bool:
        """Whether an attempt that ended so is one `retry.on` names."""
        if error_kind in ("connect_error", "timeout"):
            return error_kind in self.on
        return error_kind is None and status in self.on

    def attempt_deadline(self, now: float, deadline: float, retries_left: int) -> float:
        """The deadline of the next attempt.

        Attempts share the webhook's total deadline. When a timeout may be retried, an attempt
        that is not the last one gets half of the time left, so a hung try leaves time for the
        next; otherwise each attempt may use all of it.
        """
        if retries_left > 0 and "timeout" in self.on:
            return now + (deadline - now) / 2
        return deadline


def retry_after(
    headers: tuple[tuple[str, str], ...], *, now: datetime | None = None
) -> float | None:
    """The wait a `Retry-After` header asks for, in seconds (delay-seconds or an HTTP date).

    >>> retry_after((("Retry-After", "3"),))
    3.0
    >>> retry_after((("Retry-After", "Wed, 21 Oct 2015 07:28:05 GMT"),),
    ...             now=datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC))
    5.0
    """
    value = next((v for k, v in headers if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def new_idempotency_key() -> str:
    """A fresh key for an execution that was given none (the service derives one from the run)."""
    return f"hooksmith-{uuid.uuid4().hex}"


@dataclass
class Sent:
    """How the attempts of one execution ended: the last reply, or the last attempt's error."""

    reply: Reply | None = None
    failure: EngineError | None = None
    attempts: list[Attempt] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


async def send_with_retries(
    transport: Transport,
    request: OutgoingRequest,
    plan: RetryPlan,
    *,
    deadline: float,
    breaker: CircuitBreaker,
    backoff: Backoff,
    company: Hashable = None,
) -> Sent:
    """Send `request` until an attempt is final, recording each one, all by `deadline`.

    The breaker is asked before every attempt: when the circuit is open before the first one,
    nothing is sent and the failure is `CircuitOpen`; when it opens between retries, the last
    attempt's outcome stands. An attempt that found no free connection in time says nothing
    about the origin: the breaker does not count it. `company` is whose connection slots it takes.
    """
    origin = origin_of(request.url)
    sent = Sent()
    waited = 0.0
    while True:
        try:
            probe = breaker.admit(origin)
        except CircuitOpen as error:
            if not sent.attempts:
                sent.failure = error
            else:
                sent.warnings.append(f"retries stopped: {error.message}")
            return sent
        began = time.monotonic()
        retries_left = plan.retries - len(sent.attempts)
        try:
            sent.reply = await transport.send(
                request,
                deadline=plan.attempt_deadline(began, deadline, retries_left),
                company=company,
            )
            sent.failure = None
        except EngineError as error:
            sent.reply, sent.failure = None, error
        except BaseException:
            breaker.record(origin, Verdict.NEUTRAL, probe=probe)  # cancelled: no verdict
            raise
        status = sent.reply.status if sent.reply is not None else None
        kind = sent.failure.kind if sent.failure is not None else None
        queued = isinstance(sent.failure, NoFreeConnection)
        breaker.record(origin, Verdict.NEUTRAL if queued else verdict_of(status, kind), probe=probe)
        sent.attempts.append(
            Attempt(
                number=len(sent.attempts) + 1,
                status=status,
                error_kind=kind,
                duration_ms=round((time.monotonic() - began) * 1000, 3),
                waited_ms=round(waited * 1000, 3),
            )
        )
        if retries_left <= 0 or not plan.retryable(status, kind):
            return sent
        asked = retry_after(sent.reply.headers) if sent.reply is not None else None
        waited = asked if asked is not None else backoff.delay(len(sent.attempts))
        if time.monotonic() + waited + MIN_ATTEMPT_SECONDS >= deadline:
            why = "as Retry-After asks" if asked is not None else "backoff"
            sent.warnings.append(
                f"retries stopped: waiting {waited:.2f} s ({why}) would pass the webhook's time-out"
            )
            return sent
        await asyncio.sleep(waited)
