"""Which templates are straight-line, where a source compiles, and how deep it may nest."""

from __future__ import annotations

import pytest
from jinja2 import Environment

from hooksmith.engine.triage import (
    BESIDE,
    HERE,
    RENDERERS,
    check_nesting,
    compile_place,
    straight_line,
)
from tests.factories import SEED_BODY

ENVIRONMENT = Environment()


@pytest.mark.parametrize(
    "source",
    [
        "plain text",
        "Hi {{ fb.firstName }}",
        "{{ certainly.replyData|tojson }}",
        "{{ user['name']|default('you')|upper }}",
        "{% if fb is defined %}{{ fb.lastName }}{% else %}-{% endif %}",
        "{{ a if b else c }} {{ not a and (b or c) }} {{ a == 1 }} {{ a in b }}",
        "{{ first ~ ' ' ~ last }}",
        "{{ x * 2 }} {{ 3 * x }} {{ x + y }} {{ x - 1 }} {{ x / 2 }}",
        "{{ name.strip().lower() }} {{ response.get('id') }}",
        "{{ items[1:3] }} {{ [a, b] }} {{ {'k': a} }}",
        SEED_BODY,
    ],
)
def test_lookups_tests_choices_and_safe_filters_are_straight_line(source: str) -> None:
    assert straight_line(ENVIRONMENT.parse(source))


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in items %}{{ i }}{% endfor %}",
        "{{ range(10) }}",
        "{{ [1] * 1000 }}",
        "{{ x * y }}",
        "{{ 'a' ** 3 }}",
        "{{ '%s' % x }}",
        "{{ items|sort }}",
        "{{ items|map('upper')|list }}",
        "{{ 'x'|center(9999) }}",
        "{% set a = 1 %}{{ a }}",
        "{% macro m() %}{% endmacro %}",
        "{{ dict(a=1) }}",
        "{{ x.replace('a', 'b') }}",
        "{{ x.upper(*args) }}",
        "{% filter upper %}x{% endfilter %}",
    ],
)
def test_loops_ranges_arithmetic_and_heavy_filters_are_not(source: str) -> None:
    assert not straight_line(ENVIRONMENT.parse(source))


def test_small_sources_compile_here_middling_ones_beside_large_ones_in_the_renderers() -> None:
    assert compile_place("{{ certainly.sessionId }}") == HERE
    assert compile_place("x" * 8000 + "{{ a }}") == HERE
    assert compile_place(SEED_BODY) == BESIDE
    assert compile_place("{{ " + "a ~ " * 2500 + "a }}") == RENDERERS  # 10 KB of code
    assert compile_place("{{ a }}" * 300) == RENDERERS  # too many tags
    assert compile_place("{" * 20_000) == RENDERERS  # too long


@pytest.mark.parametrize(
    "source",
    [
        "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
        "{% if a %}" * 2000 + "x" + "{% endif %}" * 2000,
        "{{ " + "[" * 20_000 + " }}",
    ],
)
def test_deep_nesting_is_refused_before_parsing(source: str) -> None:
    with pytest.raises(ValueError, match="nested more than 48 deep"):
        check_nesting(ENVIRONMENT, source)


def test_ordinary_nesting_and_brackets_in_text_pass() -> None:
    check_nesting(ENVIRONMENT, SEED_BODY)
    check_nesting(ENVIRONMENT, "[" * 500 + "{{ a }}" + "]" * 500)  # text, not code
    check_nesting(ENVIRONMENT, "{% set a = 1 %}" * 100)  # statements that open no block
