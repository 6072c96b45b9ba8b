from __future__ import annotations

import json
from pathlib import Path

import pytest

from hooksmith.engine import InvalidDefinition, Method, load_webhook, parse_webhook
from tests.factories import ROOT, make_webhook


def errors_of(data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidDefinition) as caught:
        parse_webhook({"name": "x", "url": "https://api.example.com", **data})
    return dict(caught.value.errors)


def test_defaults_follow_the_design() -> None:
    hook = make_webhook()
    assert hook.method is Method.GET
    assert hook.timeout == 5.0
    assert hook.response_type.value == "json"
    assert hook.execution.value == "sync"
    assert hook.auth.type == "none"
    assert hook.headers == ()
    assert hook.params == ()
    assert hook.context == {}
    assert hook.body is None
    assert hook.custom_variables == ()
    assert hook.company is None


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"bogus": 1}, "bogus", "not a known field"),
        ({"method": "FETCH"}, "method", "must be one of GET"),
        ({"timeout": 0}, "timeout", "must be > 0 and ≤ 60 seconds (got 0)"),
        ({"timeout": 61}, "timeout", "(got 61)"),
        ({"timeout": "soon"}, "timeout", "number of seconds"),
        ({"url": "ftp://files.example.com"}, "url", "http:// or https://"),
        ({"url": "https://a.example.com/{%if%}"}, "url", "no {% statements"),
        ({"headers": [{"key": "X-A\r\nX-B", "value": "1"}]}, "headers[0].key", "not a valid"),
        ({"headers": [{"key": "Host", "value": "x"}]}, "headers[0].key", "cannot be configured"),
        ({"headers": [{"key": "Proxy-Authorization"}]}, "headers[0].key", "cannot be"),
        ({"headers": [{"key": "Transfer-Encoding"}]}, "headers[0].key", "cannot be"),
        ({"auth": {"type": "digest"}}, "auth", "none, basic, bearer"),
        ({"auth": {"type": "basic", "username": "u"}}, "auth.password", "is required"),
        ({"auth": {"type": "bearer", "token": ""}}, "auth.token", "must not be empty"),
        ({"response_type": "html"}, "response_type", "must be one of"),
        ({"execution": "later"}, "execution", "must be one of"),
        ({"company": "Not A Slug"}, "company", "company slug"),
        ({"context": {"bad name": "x"}}, "context", "placeholder name"),
        (
            {"custom_variables": [{"name": "1st", "mapper": "response.a"}]},
            "custom_variables[0].name",
            "not a valid variable name",
        ),
        (
            {
                "custom_variables": [
                    {"name": "a", "mapper": "response.a"},
                    {"name": "a", "mapper": "response.b"},
                ]
            },
            "custom_variables",
            "used twice",
        ),
        ({"name": ""}, "name", "must not be empty"),
        ({"headers": [{"key": "X-A\n", "value": "1"}]}, "headers[0].key", "not a valid"),
        ({"headers": [{"key": "X-Forwarded-For"}]}, "headers[0].key", "came from"),
        ({"headers": [{"key": "forwarded"}]}, "headers[0].key", "came from"),
        ({"headers": [{"key": "X-Real-IP"}]}, "headers[0].key", "came from"),
        ({"company": "acme\n"}, "company", "company slug"),
        ({"name": "a\x00"}, "name", "U+0000"),
        ({"body": '{"a": "\ud800"}'}, "body", "U+D800"),
        (
            {"custom_variables": [{"name": "a\n", "mapper": "response.a"}]},
            "custom_variables[0].name",
            "not a valid variable name",
        ),
    ],
)
def test_bad_input_names_the_field(data: dict[str, object], field: str, words: str) -> None:
    errors = errors_of(data)
    assert field in errors, errors
    assert words in errors[field]


def test_every_bad_field_is_reported_at_once() -> None:
    errors = errors_of({"timeout": 0, "method": "NOPE", "extra": True})
    assert set(errors) == {"timeout", "method", "extra"}


def test_method_is_case_insensitive() -> None:
    assert make_webhook(method="post").method is Method.POST


def test_secrets_are_hidden_in_dumps_but_kept_for_storage() -> None:
    hook = make_webhook(auth={"type": "bearer", "token": "tok-123456"})
    assert "tok-123456" not in hook.model_dump_json()
    assert "tok-123456" not in repr(hook)
    assert hook.to_data()["auth"]["token"] == "tok-123456"
    assert parse_webhook(hook.to_data()) == hook


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_loads_yaml_and_json(tmp_path: Path, suffix: str) -> None:
    data = {"name": "From file", "url": "https://api.example.com/x", "method": "PUT"}
    path = tmp_path / f"hook{suffix}"
    path.write_text(json.dumps(data))  # JSON is valid YAML too
    assert load_webhook(path).method is Method.PUT


def test_broken_file_is_an_invalid_definition(tmp_path: Path) -> None:
    path = tmp_path / "hook.json"
    path.write_text("{not json")
    with pytest.raises(InvalidDefinition, match=r"hook\.json is not valid"):
        load_webhook(path)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.yaml")))
def test_examples_are_valid(path: Path) -> None:
    assert load_webhook(path).name


def test_retry_defaults_change_nothing() -> None:
    hook = make_webhook()
    assert hook.retry.attempts == 0
    assert hook.retry.on == ("connect_error", "timeout", 429, 502, 503, 504)
    assert hook.retry.non_idempotent is False
    assert hook.success_condition is None
    assert make_webhook(retry=None).retry == hook.retry


@pytest.mark.parametrize(
    ("retry", "field", "message"),
    [
        ({"attempts": 9}, "retry.attempts", "must be between 0 and 5 (got 9)"),
        ({"attempts": -1}, "retry.attempts", "must be between 0 and 5 (got -1)"),
        ({"attempts": "2"}, "retry.attempts", "must be a whole number between 0 and 5"),
        ({"attempts": True}, "retry.attempts", "must be a whole number between 0 and 5"),
        ({"on": [500]}, "retry.on", "500 is not a retry reason; choose from connect_error"),
        ({"on": ["dns"]}, "retry.on", "'dns' is not a retry reason"),
        ({"on": "timeout"}, "retry.on", "must be a list of"),
        ({"non_idempotent": "yes"}, "retry.non_idempotent", "must be true or false"),
        ({"backoff": 2}, "retry.backoff", "is not a known field"),
    ],
)
def test_bad_retry_settings_name_the_field(
    retry: dict[str, object], field: str, message: str
) -> None:
    errors = errors_of({"retry": retry})
    assert message in errors[field]


def test_retry_reasons_may_be_written_as_text_and_repeat() -> None:
    hook = make_webhook(retry={"attempts": 2, "on": ["503", 503, "timeout"]})
    assert hook.retry.on == (503, "timeout")
    assert parse_webhook(hook.to_data()) == hook


def test_a_custom_variable_default_is_any_json_value() -> None:
    hook = make_webhook(
        custom_variables=[
            {"name": "a", "mapper": "response.a", "default": {"items": [1, "two", None]}},
            {"name": "b", "mapper": "response.b"},
        ]
    )
    assert hook.custom_variables[0].default == {"items": [1, "two", None]}
    assert hook.custom_variables[1].default is None
    assert parse_webhook(hook.to_data()) == hook
