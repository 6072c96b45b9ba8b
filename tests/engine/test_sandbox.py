from __future__ import annotations

import time
import tracemalloc
from typing import Any

import pytest

from hooksmith.engine.errors import RenderError
from hooksmith.engine.sandbox import Limits, Rendered, Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def render(sandbox: Sandbox, source: str, variables: dict[str, Any] | None = None) -> str:
    result = sandbox.render_text(
        source, variables or {}, deadline=time.monotonic() + 1, field="headers[0].value"
    )
    return result.value


def test_renders_plain_text(sandbox: Sandbox) -> None:
    result = sandbox.render_text(
        "Bearer {{ token }}-{{ n + 1 }}",
        {"token": "t", "n": 1},
        deadline=time.monotonic() + 1,
        field="x",
    )
    assert result == Rendered("Bearer t-2", ())


def test_undefined_renders_empty_with_a_warning(sandbox: Sandbox) -> None:
    result = sandbox.render_text(
        "[{{ userName }}][{{ certainly.sessionId }}][{{ fb.lastName }}]",
        {"certainly": {"botId": "b"}},
        deadline=time.monotonic() + 1,
        field="body",
    )
    assert result.value == "[][][]"
    assert result.warnings == (
        "undefined: userName (in body)",
        "undefined: certainly.sessionId (in body)",
        "undefined: fb.lastName (in body)",
    )


def test_is_defined_test_is_not_a_warning(sandbox: Sandbox) -> None:
    result = sandbox.render_text(
        "{% if fb is defined %}{{ fb.x }}{% else %}none{% endif %}",
        {},
        deadline=time.monotonic() + 1,
        field="body",
    )
    assert result == Rendered("none", ())


def test_iterating_an_undefined_is_a_warning(sandbox: Sandbox) -> None:
    result = sandbox.render_text(
        "{% for x in items %}{{ x }}{% endfor %}.", {}, deadline=time.monotonic() + 1, field="f"
    )
    assert result == Rendered(".", ("undefined: items (in f)",))


def test_a_dict_key_wins_over_a_dict_method(sandbox: Sandbox) -> None:
    assert render(sandbox, "{{ d.items }}/{{ d.get }}", {"d": {"items": 3, "get": 4}}) == "3/4"
    assert render(sandbox, "{{ d.items()|list }}", {"d": {"a": 1}}) == "[('a', 1)]"


def test_compile_error_names_the_field_and_the_line(sandbox: Sandbox) -> None:
    with pytest.raises(RenderError) as caught:
        render(sandbox, "ok\n{{ a + }}")
    assert caught.value.field == "headers[0].value"
    assert caught.value.message.startswith("headers[0].value: line 2: ")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ ''|attr('__class__') }}",
        "{{ self.__init__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ range.__globals__ }}",
        "{{ '{0.__class__}'.format(1) }}",
        "{{ ''.format.__globals__ }}",
        "{{ dict.mro() }}",
        "{{ x.__class__ }}",
        "{{ {}.pop('a') }}",
        "{% include 'secret.txt' %}",
        "{% import 'os' as os %}",
    ],
)
def test_sandbox_escapes_are_refused(sandbox: Sandbox, source: str) -> None:
    with pytest.raises(RenderError):
        render(sandbox, source)


@pytest.mark.parametrize("source", ["{{ config }}", "{{ request }}", "{{ self }}"])
def test_missing_globals_render_harmlessly(sandbox: Sandbox, source: str) -> None:
    assert "config" not in render(sandbox, source)
    assert "Environment" not in render(sandbox, source)


def test_removed_globals(sandbox: Sandbox) -> None:
    for name in ("lipsum", "cycler", "joiner"):
        with pytest.raises(RenderError):
            render(sandbox, f"{{{{ {name}() }}}}")
    assert render(sandbox, "{% set ns = namespace(a=1) %}{{ ns.a }}") == "1"


HOSTILE = [
    "{{ 'a' * 300000000 }}",
    "{{ 300000000 * 'a' }}",
    "{{ [1] * 300000000 }}",
    "{{ 9 ** 999999 }}",
    "{{ (10 ** 9000) * (10 ** 9000) * (10 ** 9000) }}",
    "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "{% for i in range(10000) %}{% for j in range(10000) %}{{ j }}{% endfor %}{% endfor %}",
    "{% for i in range(10**9) %}{% endfor %}",
    "{{ '%s' * 300000000 }}",
    "{{ '%999999999d' % 1 }}",
    "{{ '%.999999999f' % 1 }}",
    "{{ '%*d' % (999999999, 1) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '{:{}}'.format(1, 999999999) }}",
    "{{ 'x'.center(10**9) }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ 'x'.zfill(10**9) }}",
    "{{ 'a\tb'.expandtabs(10**9) }}",
    "{{ ('a' * 999999).replace('a', 'aa') }}",
    "{{ 'ab'.replace('', 'x' * 900000) }}",
    "{% set x = 'a' * 999999 %}{{ x ~ x }}",
    "{% set x = 'a' * 999999 %}{{ x + x }}",
    "{% set x = 'a' * 999999 %}{{ [x, x] }}",
    "{% set x = 'a' * 999 %}{{ x.join(range(10000)|map('string')) }}",
    "{% set x = 'a' * 999999 %}{% set l = [x, x] %}{% set l = [l, l] %}{{ l|string }}",
    "{% set x = 'a' * 999999 %}{% set l = [x, x] %}{{ l|tojson }}",
    "{% set x = 'a' * 999999 %}{% set y %}{% for i in range(100) %}{{ x }}{% endfor %}"
    "{% endset %}{{ y|length }}",
    "{{ 'x'|center(10**9) }}",
    "{{ 'x'|indent(10**9) }}",
    "{{ ('a ' * 400000)|wordwrap(1, wrapstring='-' * 100) }}",
    "{{ ('a' * 999999)|replace('a', 'aa') }}",
    "{{ '%999999999s'|format(1) }}",
    "{{ range(10)|join('x' * 999999) }}",
    "{{ [1]|batch(10**9, 'x')|list }}",
    "{{ [1]|slice(10**9)|list }}",
    "{{ 'aaaa'.translate({97: 'b' * 999999}) }}",
    "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_templates_are_refused_without_a_memory_spike(
    sandbox: Sandbox, source: str
) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(RenderError):
            sandbox.render_text(source, {}, deadline=time.monotonic() + 1, field="body")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024


def test_the_deadline_stops_rendering(sandbox: Sandbox) -> None:
    slow = "{% for i in range(9000) %}{{ i }}{% endfor %}"
    with pytest.raises(RenderError, match="took longer than the webhook's time-out"):
        sandbox.render_text(slow, {}, deadline=time.monotonic() - 1, field="body")


def test_loop_over_data_is_bounded() -> None:
    small = Sandbox(Limits(max_loop_iterations=1000))
    data = {"items": list(range(100))}
    nested = "{% for a in items %}{% for b in items %}{% endfor %}{% endfor %}"
    with pytest.raises(RenderError, match="loops are limited"):
        small.render_text(nested, data, deadline=time.monotonic() + 1, field="body")
    assert (
        small.render_text(
            "{% for a in items %}{% endfor %}ok", data, deadline=time.monotonic() + 1, field="b"
        ).value
        == "ok"
    )


def test_output_is_capped() -> None:
    small = Sandbox(Limits(max_output_chars=100))
    with pytest.raises(RenderError, match="larger than the limit"):
        small.render_text(
            "{% for i in range(60) %}ab{% endfor %}", {}, deadline=time.monotonic() + 1, field="f"
        )


def test_reasonable_sizes_still_work(sandbox: Sandbox) -> None:
    assert (
        render(sandbox, "{{ 'ab' * 3 }}{{ 'x'.center(5) }}{{ '%05d' % 42 }}") == "ababab  x  00042"
    )
    assert render(sandbox, "{{ '{:>4}'.format(7) }}|{{ [1, 2]|join(',') }}|{{ 2 ** 10 }}") == (
        "   7|1,2|1024"
    )
    assert render(sandbox, "{{ 'a' ~ 1 ~ none }}|{{ range(3)|list }}") == "a1None|[0, 1, 2]"


def test_runtime_errors_become_render_errors(sandbox: Sandbox) -> None:
    with pytest.raises(RenderError, match="division by zero"):
        render(sandbox, "{{ 1 / 0 }}")


def test_compiled_templates_are_cached_and_bounded() -> None:
    small = Sandbox(Limits(max_template_cache=2))
    first = small.compile_template("text", "{{ a }}", field="f")
    assert small.compile_template("text", "{{ a }}", field="f") is first
    small.compile_template("text", "{{ b }}", field="f")
    small.compile_template("text", "{{ c }}", field="f")
    assert small.compile_template("text", "{{ a }}", field="f") is not first
