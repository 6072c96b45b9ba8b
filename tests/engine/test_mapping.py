from __future__ import annotations

import time
from typing import Any

import pytest

from hooksmith.engine.errors import MappingError
from hooksmith.engine.mapping import MapperOutcome, check_mapper, evaluate_mapper
from hooksmith.engine.sandbox import Sandbox

SCOPE: dict[str, Any] = {
    "response": {
        "ticket": {"id": 7, "tags": ["a", "b"], "closed": False, "owner": None},
        "items": [{"sku": "x"}],
        "keys": "k",
        "values": 3,
        "get": "g",
        "total": 12.5,
    },
    "status": 201,
    "headers": {"content-type": "application/json"},
    "certainly": {"sessionId": "s-1"},
    "userName": "Ana",
}


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def evaluate(sandbox: Sandbox, mapper: str, scope: dict[str, Any] | None = None) -> MapperOutcome:
    return evaluate_mapper(
        sandbox, mapper, SCOPE if scope is None else scope, deadline=time.monotonic() + 1
    )


@pytest.mark.parametrize(
    ("mapper", "value"),
    [
        ("response.ticket.id", 7),
        ("response.ticket.tags", ["a", "b"]),
        ("response.ticket", SCOPE["response"]["ticket"]),
        ("response.ticket.closed", False),
        ("response.total", 12.5),
        ("response.ticket.tags[1]", "b"),
        ("response['ticket']['id'] + 1", 8),
        ("status", 201),
        ("headers['content-type']", "application/json"),
        ("certainly.sessionId", "s-1"),
        ("userName", "Ana"),
        ("response.ticket.tags|length", 2),
        ("response.ticket.tags|map('upper')|list", ["A", "B"]),
        ("response.ticket.tags|map('upper')", ["A", "B"]),
        ("(1, 2)", [1, 2]),
    ],
)
def test_one_expression_keeps_its_type(sandbox: Sandbox, mapper: str, value: Any) -> None:
    outcome = evaluate(sandbox, mapper)
    assert outcome == MapperOutcome(value, True, None)
    assert type(outcome.value) is type(value)


@pytest.mark.parametrize("mapper", ["{{ response.ticket.id }}", "  {{response.ticket.id}}\n"])
def test_braces_mean_the_same_as_bare(sandbox: Sandbox, mapper: str) -> None:
    assert evaluate(sandbox, mapper) == evaluate(sandbox, "response.ticket.id")


def test_a_null_value_is_found(sandbox: Sandbox) -> None:
    assert evaluate(sandbox, "response.ticket.owner") == MapperOutcome(None, True, None)


def test_mixed_text_renders_a_string(sandbox: Sandbox) -> None:
    outcome = evaluate(sandbox, "#{{ response.ticket.id }} for {{ userName }}")
    assert outcome == MapperOutcome("#7 for Ana", True, None)
    assert evaluate(sandbox, "{{ response.ticket.id }}{{ status }}").value == "7201"


@pytest.mark.parametrize(
    ("mapper", "value"),
    [
        ("response.items", [{"sku": "x"}]),
        ("response.keys", "k"),
        ("response.values", 3),
        ("response.get", "g"),
        ("response.items[0].sku", "x"),
    ],
)
def test_a_key_wins_over_a_dict_method(sandbox: Sandbox, mapper: str, value: Any) -> None:
    assert evaluate(sandbox, mapper).value == value


def test_dict_methods_work_without_such_keys(sandbox: Sandbox) -> None:
    assert evaluate(sandbox, "response.ticket.keys()|list").value == [
        "id",
        "tags",
        "closed",
        "owner",
    ]


@pytest.mark.parametrize(
    ("mapper", "reason"),
    [
        ("response.ticket.number", "response has no 'ticket.number'"),
        ("response.missing.a.b.c", "response has no 'missing.a.b.c'"),
        ("{{ response.missing.a }}", "response has no 'missing.a'"),
        ("nothing", "'nothing' is not defined"),
        ("nothing.deeper", "nothing has no 'deeper'"),
        ("response.ticket.id.value", "response has no 'ticket.id.value'"),
        ("response.ticket.tags[5]", "response has no 'ticket.tags[5]'"),
        ("response['no such']", "response has no 'no such'"),
        ("response.nope|first", "the mapper yields no value"),
    ],
)
def test_a_missing_path_is_a_reason_not_a_crash(sandbox: Sandbox, mapper: str, reason: str) -> None:
    assert evaluate(sandbox, mapper) == MapperOutcome(None, False, reason)


def test_a_missing_path_in_mixed_text_is_reported(sandbox: Sandbox) -> None:
    outcome = evaluate(sandbox, "id={{ response.nope }}")
    assert outcome == MapperOutcome("id=", True, "response has no 'nope'")


def test_missing_response_body(sandbox: Sandbox) -> None:
    outcome = evaluate(sandbox, "response.ticket.id", {"response": None, "status": 204})
    assert outcome.found is False
    assert outcome.value is None
    assert outcome.reason is not None


@pytest.mark.parametrize(
    "mapper",
    [
        "1 / 0",
        "response.__class__",
        "response.ticket.id.__class__.__mro__",
        "'a' * 300000000",
        "9 ** 999999",
        "response.ticket.id + 'x'",
        "lipsum()",
    ],
)
def test_runtime_failures_are_reasons(sandbox: Sandbox, mapper: str) -> None:
    outcome = evaluate(sandbox, mapper)
    assert outcome.found is False
    assert outcome.value is None
    assert outcome.reason is not None
    assert outcome.reason.startswith("the mapper failed: ")


def test_the_deadline_applies(sandbox: Sandbox) -> None:
    outcome = evaluate_mapper(sandbox, "range(10)|list", SCOPE, deadline=time.monotonic() - 1)
    assert outcome.found is False
    assert outcome.reason is not None
    assert "time-out" in outcome.reason


@pytest.mark.parametrize("mapper", ["response.", "{{ response.ticket.id", "a b", "", "{% if %}"])
def test_a_mapper_that_does_not_compile(sandbox: Sandbox, mapper: str) -> None:
    with pytest.raises(MappingError) as caught:
        check_mapper(sandbox, mapper)
    assert caught.value.field is None
    assert "does not compile" in caught.value.message
    with pytest.raises(MappingError):
        evaluate(sandbox, mapper)


def test_check_mapper_accepts_good_mappers(sandbox: Sandbox) -> None:
    check_mapper(sandbox, "response.ticket.id")
    check_mapper(sandbox, "{{ response.ticket.id }}")
    check_mapper(sandbox, "id: {{ response.ticket.id }}")
