"""Outcome routing: the `outcome` field, `success_condition` and custom variable defaults."""

from __future__ import annotations

from typing import Any

import pytest

from hooksmith.engine import EgressPolicy, Engine, InvalidDefinition, Result, parse_webhook
from hooksmith.engine.result import ResultError
from tests.factories import loopback_engine, make_webhook
from tests.upstream import Upstream


async def run(hook_data: dict[str, Any], engine: Engine | None = None) -> Result:
    async with engine or loopback_engine() as running:
        return await running.execute(make_webhook(**hook_data), {"userName": "Ana"})


def kind(result: Result) -> str | None:
    return result.error.kind if result.error else None


async def test_a_2xx_answer_is_a_success(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/echo")})
    assert (result.ok, result.outcome, kind(result)) == (True, "success", None)
    assert [(a.number, a.status) for a in result.attempts] == [(1, 200)]


async def test_a_non_2xx_answer_is_an_http_error(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/status/404")})
    assert (result.ok, result.outcome, kind(result)) == (False, "http_error", "http_error")


async def test_a_timeout_is_a_timeout(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/slow?seconds=2"), "timeout": 0.3})
    assert (result.outcome, kind(result)) == ("timeout", "timeout")
    assert [a.error_kind for a in result.attempts] == ["timeout"]


async def test_a_refused_address_is_blocked(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/echo")}, Engine(policy=EgressPolicy()))
    assert (result.outcome, kind(result)) == ("blocked", "egress_blocked")
    assert upstream.received == []


@pytest.mark.parametrize(
    ("hook", "error_kind"),
    [
        ({"url": "http://127.0.0.1:9/"}, "connect_error"),
        ({"url": "/text", "response_type": "json"}, "invalid_response"),
        ({"url": "/echo", "body": '{"a": {{ nope( }}'}, "render_error"),
        (
            {"url": "/echo", "custom_variables": [{"name": "v", "mapper": "response.(("}]},
            "mapping_error",
        ),
    ],
)
async def test_every_other_failure_is_failed(
    upstream: Upstream, hook: dict[str, Any], error_kind: str
) -> None:
    if hook["url"].startswith("/"):
        hook = {**hook, "url": upstream.url(hook["url"])}
    result = await run(hook)
    assert (result.ok, result.outcome, kind(result)) == (False, "failed", error_kind)


async def test_nothing_rendered_means_no_attempt(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/echo"), "body": "{{ nope( }}"})
    assert result.attempts == []
    assert upstream.received == []


async def test_a_false_success_condition_turns_a_200_into_an_http_error(
    upstream: Upstream,
) -> None:
    result = await run(
        {
            "url": upstream.url("/echo"),
            "success_condition": "response.method == 'POST'",
            "custom_variables": [{"name": "method", "mapper": "response.method"}],
        }
    )
    assert (result.ok, result.outcome, result.status) == (False, "http_error", 200)
    assert result.error is not None
    assert result.error.kind == "http_error"
    assert result.error.field == "success_condition"
    assert "success condition (response.method == 'POST') is not met" in result.error.message
    assert result.custom_variables == {"method": "GET"}


async def test_an_error_body_fails_the_articles_condition(upstream: Upstream) -> None:
    # /status/200 answers 200 with {"error": {...}}: the "200 with an error body" API.
    result = await run(
        {"url": upstream.url("/status/200"), "success_condition": "response.error is not defined"}
    )
    assert (result.outcome, kind(result)) == ("http_error", "http_error")


async def test_a_true_success_condition_keeps_the_success(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/echo"),
            "success_condition": "{{ response.error is not defined and status == 200 }}",
        }
    )
    assert (result.ok, result.outcome) == (True, "success")


async def test_a_condition_without_a_value_is_not_a_success(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/echo"), "success_condition": "response.missing"})
    assert result.outcome == "http_error"
    assert result.error is not None
    assert "yields no value" in result.error.message


async def test_the_condition_sees_the_conversation(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/echo?who=Ana"),
            "success_condition": "response.query[0][1] == userName",
        }
    )
    assert result.ok, result.error


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ("response.ok ==", "line 1"),
        ("ok: {{ response.ok }}", "must be one expression"),
    ],
)
def test_a_broken_condition_is_refused_naming_the_field(condition: str, words: str) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        parse_webhook({"name": "x", "url": "https://a.example.com", "success_condition": condition})
    errors = dict(caught.value.errors)
    assert list(errors) == ["success_condition"]
    assert words in errors["success_condition"]


def test_a_blank_condition_is_none() -> None:
    assert make_webhook(success_condition="  ").success_condition is None


async def test_a_default_replaces_a_value_the_mapper_does_not_find(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/echo"),
            "custom_variables": [
                {"name": "ticket", "mapper": "response.ticket.id", "default": 0},
                {"name": "tags", "mapper": "response.tags", "default": ["none"]},
                {"name": "method", "mapper": "response.method", "default": "?"},
                {"name": "plain", "mapper": "response.nothing"},
            ],
        }
    )
    assert result.ok, result.error
    assert result.custom_variables == {
        "ticket": 0,
        "tags": ["none"],
        "method": "GET",
        "plain": None,
    }
    by_name = {entry.name: entry for entry in result.mapping}
    assert by_name["ticket"].default_used
    assert not by_name["ticket"].found
    assert by_name["ticket"].reason is not None
    assert by_name["ticket"].reason.endswith("the default is used")
    assert not by_name["method"].default_used
    assert not by_name["plain"].default_used


async def test_defaults_stand_in_when_no_response_came() -> None:
    result = await run(
        {
            "url": "http://127.0.0.1:9/",
            "custom_variables": [
                {"name": "status", "mapper": "response.status", "default": "unknown"},
                {"name": "other", "mapper": "response.other"},
            ],
        }
    )
    assert result.outcome == "failed"
    assert result.custom_variables == {"status": "unknown"}
    assert [(m.name, m.default_used) for m in result.mapping] == [("status", True)]


def test_a_result_built_without_an_outcome_gets_the_right_one() -> None:
    def error(kind: str) -> ResultError:
        return ResultError(kind=kind, message="m")

    assert Result(ok=True).outcome == "success"
    assert Result(ok=False, error=error("timeout")).outcome == "timeout"
    assert Result(ok=False, error=error("egress_blocked")).outcome == "blocked"
    assert Result(ok=False, error=error("http_error")).outcome == "http_error"
    assert Result(ok=False, error=error("circuit_open")).outcome == "failed"
    stored = Result(ok=False, error=error("timeout")).model_dump(mode="json")
    del stored["outcome"], stored["attempts"]
    assert Result.model_validate(stored).outcome == "timeout"


async def test_the_outcome_survives_a_round_trip(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/status/503")})
    again = Result.model_validate_json(result.model_dump_json())
    assert again.outcome == "http_error"
    assert again.attempts == result.attempts
