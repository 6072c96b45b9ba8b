"""Compile checks of a definition: what can never render or map is found before it is saved."""

from __future__ import annotations

from typing import Any

import pytest

from hooksmith.engine import parse_webhook, template_problems


def _problems(**overrides: Any) -> list[tuple[str, str]]:
    data: dict[str, Any] = {"name": "x", "url": "https://api.example.com/o/{{ id }}"}
    return template_problems(parse_webhook(data | overrides))


@pytest.mark.parametrize(
    "body",
    [
        '{"a": {{ a }}, "b": "{{ b }}"} // a comment',
        '{% if a is defined %}{"a": {{ a|tojson }}}{% else %}{"b": 2}{% endif %}',
        '{"x": {% if a %}1{% else %}{% endif %}}',  # JSON for some data: not judged here
        '{"loop": [{% for i in items %}"{{ i }}"{% if not loop.last %},{% endif %}{% endfor %}]}',
    ],
)
def test_bodies_that_some_data_makes_json_pass(body: str) -> None:
    assert _problems(method="POST", body=body) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"a": {% if a %}1}', "endif"),
        ('{"bad": }', "whatever the data, not JSON: line 1, column 9"),
        ('{% if a %}{"a": 1,}{% else %}[1,]{% endif %}', "whatever the data, not JSON"),
        ('{"a": ' + " " * 20_000 + "{% if a %}1}", "endif"),  # large: parsed, not compiled
        ('{"a": ' + " " * 20_000 + "}", "whatever the data, not JSON"),
    ],
)
def test_bodies_that_can_never_work_are_named(body: str, expected: str) -> None:
    ((field, message),) = _problems(method="POST", body=body)
    assert field == "body"
    assert expected in message


def test_every_broken_template_and_mapper_is_listed_by_field() -> None:
    problems = _problems(
        url="https://api.example.com/{{ id | }}",
        params=[{"key": "q", "value": "{{ q"}],
        headers=[{"key": "X-A", "value": "{% if %}"}],
        custom_variables=[
            {"name": "fine", "mapper": "response.a"},
            {"name": "broken", "mapper": "response.body.["},
            {"name": "text", "mapper": "id {{ response.id }"},
        ],
    )
    assert [field for field, _ in problems] == [
        "url",
        "params[0].value",
        "headers[0].value",
        "custom_variables[1].mapper",
        "custom_variables[2].mapper",
    ]
    assert "the mapper does not compile" in problems[3][1]
