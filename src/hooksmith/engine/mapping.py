"""Response Mappers: one sandboxed expression or template per custom variable.

See docs/design.md#the-answer-and-custom-variables.

A mapper that is one expression keeps its value's type; one that mixes text and expressions
yields a string; a path that does not exist yields no value and a reason, never a crash.

    >>> import time
    >>> evaluate_mapper(Sandbox(), "response.id", {"response": {"id": 7}},
    ...                 deadline=time.monotonic() + 1).value
    7
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, Undefined, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import TemplateSyntaxError

from hooksmith.engine.budget import undefined_path
from hooksmith.engine.errors import MappingError, RenderError
from hooksmith.engine.jsondata import JsonRefused, json_data
from hooksmith.engine.sandbox import Sandbox

FIELD = "mapper"


@dataclass(frozen=True)
class MapperOutcome:
    """What one mapper produced: its value, whether it was found, and why not."""

    value: Any
    found: bool
    reason: str | None


def check_mapper(sandbox: Sandbox, mapper: str) -> None:
    """Compile a mapper without running it, so a broken one is reported when it is saved.

    >>> check_mapper(Sandbox(), "response.ticket.id")
    """
    _compile(sandbox, mapper)


def evaluate_mapper(
    sandbox: Sandbox, mapper: str, scope: Mapping[str, Any], *, deadline: float
) -> MapperOutcome:
    """Evaluate a mapper against `response`, `status`, `headers` and the conversation's data.

    >>> import time
    >>> evaluate_mapper(Sandbox(), "{{ response.ticket.id }}", {"response": {}},
    ...                 deadline=time.monotonic() + 1).reason
    "response has no 'ticket.id'"
    """
    expression, compiled = _compile(sandbox, mapper)
    try:
        if isinstance(compiled, TemplateExpression):
            value = sandbox.evaluate(compiled, scope, deadline=deadline, field=FIELD).value
            if isinstance(value, Undefined):
                path = _static_path(sandbox, expression) or undefined_path(value)
                reason = _missing(path) if path != "?" else "the mapper yields no value"
                return MapperOutcome(None, False, reason)
            return MapperOutcome(_json_value(value), True, None)
        text = sandbox.render_template(compiled, scope, deadline=deadline, field=FIELD)
    except RenderError as exc:
        reason = exc.message.removeprefix(f"{FIELD}: ")
        return MapperOutcome(None, False, f"the mapper failed: {reason}")
    missing = [w.removeprefix("undefined: ").removesuffix(f" (in {FIELD})") for w in text.warnings]
    missing_reason = "; ".join(_missing(p) for p in missing) or None
    return MapperOutcome(_json_value(text.value), True, missing_reason)


def expression_of(mapper: str) -> str | None:
    """The expression a mapper is made of, or None when it mixes text and expressions.

    >>> expression_of("{{ response.id }}"), expression_of("id: {{ response.id }}")
    (' response.id ', None)
    """
    stripped = mapper.strip()
    if "{{" not in stripped and "{%" not in stripped and "{#" not in stripped:
        return stripped
    if stripped.startswith("{{") and stripped.endswith("}}"):
        inner = stripped[2:-2]
        if "{{" not in inner and "}}" not in inner and "{%" not in inner:
            return inner
    return None


def _compile(sandbox: Sandbox, mapper: str) -> tuple[str, TemplateExpression | Template]:
    """Compile the mapper: its expression text and compiled expression, or its template."""
    expression = expression_of(mapper)
    try:
        if expression is not None:
            return expression, sandbox.compile_expression(expression, field=FIELD)
        return mapper, sandbox.compile_template("mapper-text", mapper, field=FIELD)
    except RenderError as exc:
        message = exc.message.removeprefix(f"{FIELD}: ")
        raise MappingError(f"the mapper does not compile: {message}") from None
    except TemplateSyntaxError as exc:  # pragma: no cover - the sandbox converts these
        raise MappingError(f"the mapper does not compile: {exc.message}") from None


def _static_path(sandbox: Sandbox, expression: str) -> str | None:
    """The dotted path a mapper reads (`response.ticket.id`), when it is only a path."""
    node = sandbox.environment.parse("{{" + expression + "}}").body[0]
    parts: list[str] = []
    current = node.nodes[0] if isinstance(node, nodes.Output) and len(node.nodes) == 1 else None
    while isinstance(current, nodes.Getattr | nodes.Getitem):
        if isinstance(current, nodes.Getattr):
            parts.append(f".{current.attr}")
        elif isinstance(current.arg, nodes.Const) and isinstance(current.arg.value, str):
            parts.append(f".{current.arg.value}")
        elif isinstance(current.arg, nodes.Const) and isinstance(current.arg.value, int):
            parts.append(f"[{current.arg.value}]")
        else:
            return None
        current = current.node
    if not isinstance(current, nodes.Name):
        return None
    return current.name + "".join(reversed(parts))


def _missing(path: str) -> str:
    split = min((i for i in (path.find("."), path.find("[")) if i > 0), default=len(path))
    root, rest = path[:split], path[split:].removeprefix(".")
    if not rest:
        return f"'{root}' is not defined"
    return f"{root} has no '{rest}'"


def _json_value(value: Any) -> Any:
    """The mapper's value as JSON data (undefined parts as null); a function, a class or NaN is
    a `MappingError`: the bot can only be given JSON values."""
    try:
        return json_data(value, other=_undefined_as_none)
    except JsonRefused as refused:
        raise MappingError(f"the mapper yields no JSON value: {refused}") from None


def _undefined_as_none(value: Any) -> Any:
    return None if isinstance(value, Undefined) else value
