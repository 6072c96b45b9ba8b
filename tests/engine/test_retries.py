"""Retries against a real upstream on 127.0.0.1: statuses, Retry-After, idempotency, deadline."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from hooksmith.engine import Backoff, Method, Result
from hooksmith.engine.retry import RetryPlan, retry_after
from tests.factories import loopback_engine, make_webhook
from tests.upstream import Upstream

FAST = Backoff(base=0.01, cap=0.02)


async def run(
    hook_data: dict[str, Any], *, backoff: Backoff = FAST, idempotency_key: str | None = None
) -> Result:
    async with loopback_engine(backoff=backoff) as engine:
        return await engine.execute(make_webhook(**hook_data), {}, idempotency_key=idempotency_key)


def body(result: Result) -> dict[str, Any]:
    assert result.response is not None
    assert isinstance(result.response.body, dict)
    return result.response.body


def keys_sent(upstream: Upstream) -> list[str | None]:
    return [
        next((v for k, v in seen["headers"] if k.lower() == "idempotency-key"), None)
        for seen in upstream.received
    ]


async def test_503_is_retried_until_the_api_answers(upstream: Upstream) -> None:
    result = await run(
        {"url": upstream.url("/flaky?key=a&fail=2&code=503"), "retry": {"attempts": 3}}
    )
    assert result.ok, result.error
    assert result.outcome == "success"
    assert [(a.number, a.status, a.error_kind) for a in result.attempts] == [
        (1, 503, None),
        (2, 503, None),
        (3, 200, None),
    ]
    assert result.attempts[0].waited_ms == 0
    assert all(a.duration_ms > 0 for a in result.attempts)
    assert len(upstream.received) == 3


async def test_retries_stop_after_the_configured_attempts(upstream: Upstream) -> None:
    result = await run(
        {"url": upstream.url("/flaky?key=b&fail=9&code=502"), "retry": {"attempts": 2}}
    )
    assert not result.ok
    assert result.outcome == "http_error"
    assert result.status == 502
    assert [a.status for a in result.attempts] == [502, 502, 502]
    assert len(upstream.received) == 3


async def test_no_retry_by_default_but_the_attempt_is_recorded(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/flaky?key=c&fail=1")})
    assert result.status == 503
    assert [(a.number, a.status) for a in result.attempts] == [(1, 503)]
    assert len(upstream.received) == 1


async def test_a_status_not_listed_in_on_is_not_retried(upstream: Upstream) -> None:
    result = await run(
        {"url": upstream.url("/flaky?key=d&fail=1&code=503"), "retry": {"attempts": 3, "on": [502]}}
    )
    assert result.status == 503
    assert len(result.attempts) == 1
    assert len(upstream.received) == 1


async def test_a_4xx_is_never_retried(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/status/404"), "retry": {"attempts": 3}})
    assert result.outcome == "http_error"
    assert len(upstream.received) == 1


async def test_connection_failures_are_retried() -> None:
    result = await run({"url": "http://127.0.0.1:9/", "retry": {"attempts": 2}})
    assert result.outcome == "failed"
    assert result.error is not None
    assert result.error.kind == "connect_error"
    assert [a.error_kind for a in result.attempts] == ["connect_error"] * 3
    assert [a.status for a in result.attempts] == [None] * 3


async def test_a_timeout_is_retried_within_the_total_deadline(upstream: Upstream) -> None:
    # The first answer takes 3 s; with a timeout to retry, that attempt gets half the time.
    began = time.monotonic()
    result = await run(
        {
            "url": upstream.url("/flaky?key=t&fail=1&delay=3"),
            "timeout": 2,
            "retry": {"attempts": 1, "on": ["timeout"]},
        }
    )
    elapsed = time.monotonic() - began
    assert result.ok, result.error
    assert [(a.status, a.error_kind) for a in result.attempts] == [(None, "timeout"), (200, None)]
    assert 0.9 <= result.attempts[0].duration_ms / 1000 <= 1.2
    assert elapsed < 2.0


async def test_retry_after_in_seconds_is_honoured(upstream: Upstream) -> None:
    result = await run(
        {"url": upstream.url("/retry-after?key=r&seconds=1"), "retry": {"attempts": 1}}
    )
    assert result.ok, result.error
    first, second = body(result)["arrivals"]
    assert second - first >= 1.0
    assert result.attempts[1].waited_ms >= 1000


async def test_retry_after_as_an_http_date_is_honoured(upstream: Upstream) -> None:
    # The date has whole seconds, so 2 s ahead means a wait of more than 1 s.
    result = await run(
        {"url": upstream.url("/retry-after?key=d&seconds=2&date=1"), "retry": {"attempts": 1}}
    )
    assert result.ok, result.error
    first, second = body(result)["arrivals"]
    assert second - first > 1.0
    assert result.attempts[1].waited_ms > 1000


async def test_a_retry_after_past_the_deadline_ends_the_retries(upstream: Upstream) -> None:
    began = time.monotonic()
    result = await run(
        {
            "url": upstream.url("/flaky?key=e&fail=9&retry_after=3"),
            "timeout": 1,
            "retry": {"attempts": 5},
        }
    )
    assert time.monotonic() - began < 1.0
    assert result.status == 503
    assert result.outcome == "http_error"
    assert len(result.attempts) == 1
    assert len(upstream.received) == 1
    assert any("retries stopped" in w and "Retry-After" in w for w in result.warnings)


async def test_retries_never_pass_the_deadline(upstream: Upstream) -> None:
    began = time.monotonic()
    result = await run(
        {"url": upstream.url("/flaky?key=f&fail=99"), "timeout": 1, "retry": {"attempts": 5}},
        backoff=Backoff(base=0.3, cap=0.6),
    )
    # A last attempt may run up to the deadline itself, never past it (plus bookkeeping).
    elapsed = time.monotonic() - began
    assert elapsed < 1.15
    assert result.duration_ms < 1100
    spent = sum(a.duration_ms + a.waited_ms for a in result.attempts)
    assert spent < 1050
    assert len(result.attempts) >= 2
    assert len(upstream.received) == len(result.attempts)


async def test_post_is_not_retried_unless_the_user_allows_it(upstream: Upstream) -> None:
    result = await run(
        {"method": "POST", "url": upstream.url("/flaky?key=p"), "retry": {"attempts": 3}}
    )
    assert result.status == 503
    assert len(result.attempts) == 1
    assert keys_sent(upstream) == [None]


async def test_an_allowed_post_retry_sends_one_idempotency_key(upstream: Upstream) -> None:
    result = await run(
        {
            "method": "POST",
            "url": upstream.url("/flaky?key=q&fail=2"),
            "body": '{"order": 1}',
            "retry": {"attempts": 3, "non_idempotent": True},
        }
    )
    assert result.ok, result.error
    keys = keys_sent(upstream)
    assert len(keys) == 3
    assert keys[0]
    assert keys == [keys[0]] * 3
    assert body(result)["idempotency_key"] == keys[0]


async def test_the_idempotency_key_of_the_run_is_sent(upstream: Upstream) -> None:
    result = await run(
        {
            "method": "PATCH",
            "url": upstream.url("/idem"),
            "retry": {"attempts": 1, "non_idempotent": True},
        },
        idempotency_key="run-42",
    )
    assert body(result)["idempotency_key"] == "run-42"
    assert result.request is not None
    assert ("Idempotency-Key", "run-42") in [(h.key, h.value) for h in result.request.headers]


async def test_each_execution_makes_its_own_key(upstream: Upstream) -> None:
    hook = {
        "method": "POST",
        "url": upstream.url("/idem"),
        "retry": {"attempts": 1, "non_idempotent": True},
    }
    first, second = await run(hook), await run(hook)
    assert body(first)["idempotency_key"] != body(second)["idempotency_key"]


async def test_a_configured_idempotency_key_header_is_kept(upstream: Upstream) -> None:
    await run(
        {
            "method": "POST",
            "url": upstream.url("/idem"),
            "headers": [{"key": "Idempotency-Key", "value": "mine"}],
            "retry": {"attempts": 1, "non_idempotent": True},
        }
    )
    assert keys_sent(upstream) == ["mine"]


async def test_idempotent_methods_retry_without_a_key(upstream: Upstream) -> None:
    result = await run(
        {"method": "PUT", "url": upstream.url("/flaky?key=u"), "retry": {"attempts": 1}}
    )
    assert result.ok, result.error
    assert keys_sent(upstream) == [None, None]


@pytest.mark.parametrize(
    ("method", "non_idempotent", "retries", "key"),
    [
        (Method.GET, False, 2, False),
        (Method.DELETE, False, 2, False),
        (Method.POST, False, 0, False),
        (Method.PATCH, False, 0, False),
        (Method.POST, True, 2, True),
        (Method.PATCH, True, 2, True),
    ],
)
def test_retry_plan_by_method(
    method: Method, non_idempotent: bool, retries: int, key: bool
) -> None:
    hook = make_webhook(method=method, retry={"attempts": 2, "non_idempotent": non_idempotent})
    plan = RetryPlan.of(hook)
    assert (plan.retries, plan.needs_idempotency_key) == (retries, key)


def test_no_key_without_retries() -> None:
    plan = RetryPlan.of(make_webhook(method="POST", retry={"non_idempotent": True}))
    assert (plan.retries, plan.needs_idempotency_key) == (0, False)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("-4", 0.0),
        ("Wed, 21 Oct 2015 07:28:05 GMT", 5.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_values(value: str, seconds: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert retry_after((("Retry-After", value),), now=now) == seconds


def test_no_retry_after_header() -> None:
    assert retry_after((("Content-Type", "text/plain"),)) is None


def test_backoff_grows_exponentially_to_its_cap_with_full_jitter() -> None:
    backoff = Backoff(base=0.2, cap=1.0)
    assert [backoff.ceiling(n) for n in (1, 2, 3, 4)] == [0.2, 0.4, 0.8, 1.0]
    assert backoff.delay(3, uniform=lambda: 0.5) == 0.4
    assert backoff.delay(3, uniform=lambda: 0.0) == 0.0
