"""The JSON-aware request body: comments stripped, values written as JSON.

See docs/design.md#rendering.

Every `{{ expression }}` is rewritten before compiling so that its value is escaped for the
place the template gives it: inside a JSON string literal it becomes string content, outside
it becomes a JSON value. A value can therefore never change the body's structure, and text in
a value that looks like a template is never evaluated again.

    >>> import time
    >>> render_body(Sandbox(), '{"id": {{ id }}, // the id\\n "n": "{{ n }}"}',
    ...             {"id": "a\\"b", "n": 1}, deadline=time.monotonic() + 1).value
    '{"id": "a\\\\"b", \\n "n": "1"}'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from jinja2 import Environment, Undefined, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.nodes import EvalContext

from hooksmith.engine.bodyplan import BodyPlan, Writers, never_json, plan_body
from hooksmith.engine.caps import ensure_small, refuse_if
from hooksmith.engine.environment import SandboxTemplate
from hooksmith.engine.errors import RenderError
from hooksmith.engine.placeholders import read_placeholder
from hooksmith.engine.sandbox import Rendered, Sandbox
from hooksmith.engine.triage import check_nesting

FIELD = "body"
FULL_CHECK_CHARS = 16 * 1024  # bodies checked before saving by compiling; larger ones by parsing
IN_STRING = "_hs_json_in_string"
AS_VALUE = "_hs_json_value"


def render_body(
    sandbox: Sandbox, source: str, variables: Mapping[str, Any], *, deadline: float
) -> Rendered[str]:
    """Render a body template to JSON text (comments removed), refusing output that is not JSON.

    >>> import time
    >>> render_body(Sandbox(), '{"a": {{ a }}}', {"a": [1]}, deadline=time.monotonic() + 1).value
    '{"a": [1]}'
    """
    template = _compiled(sandbox, source)
    plan = template.shortcut
    if type(plan) is BodyPlan:
        planned = plan.render(variables, deadline)
        if planned is not None:
            text, needs_check = planned
            if needs_check:
                _checked(text)
            return Rendered(text)
    rendered = sandbox.render_template(template, variables, deadline=deadline, field=FIELD)
    _checked(rendered.value)
    return rendered


def check_body(sandbox: Sandbox, source: str) -> None:
    """Compile a body without rendering it: a `RenderError` when its template does not compile
    (an unclosed `{% if %}`) or when no data can make it JSON (`{"a": }`).

    >>> check_body(Sandbox(), '{"a": {{ a }}, "b": "{{ b }}"}')
    >>> check_body(Sandbox(), '{"a": {{ a }},}')
    Traceback (most recent call last):
    ...
    hooksmith.engine.errors.RenderError: body: whatever the data, not JSON: line 1, column 12: ...
    """
    plan: object
    if len(source) > FULL_CHECK_CHARS:
        plan = _parsed_plan(sandbox, source)
    else:
        plan = _compiled(sandbox, source).shortcut
    if type(plan) is not BodyPlan:
        return
    error = never_json(plan, _check_json)
    if isinstance(error, json.JSONDecodeError):
        where = f"line {error.lineno}, column {error.colno}: {error.msg}"
        raise RenderError(f"{FIELD}: whatever the data, not JSON: {where}", field=FIELD)
    if error is not None:
        raise RenderError(f"{FIELD}: whatever the data, not JSON: {error}", field=FIELD)


def _compiled(sandbox: Sandbox, source: str) -> SandboxTemplate:
    """The body's template, compiled once per source: rewritten for its JSON writers (added to
    the sandbox first), with its plan as its `.shortcut`."""
    if AS_VALUE not in sandbox.environment.filters:
        _add_writers(sandbox)
    return sandbox.compile_template(
        "body", source, field=FIELD, rewrite=rewrite_body, shortcut=_plan
    )


def _add_writers(sandbox: Sandbox) -> None:
    """Register the JSON writers the rewritten body calls (a no-op when they are there)."""
    sandbox.add_writers({IN_STRING: _in_string(sandbox), AS_VALUE: _as_value(sandbox)})


def _parsed_plan(sandbox: Sandbox, source: str) -> BodyPlan | None:
    """A large body's plan from its syntax tree alone: parsing finds its syntax errors at about
    half the cost of compiling it too (which its first render pays, in a renderer process)."""
    _add_writers(sandbox)  # the plan writes with them
    environment = sandbox.environment
    try:
        check_nesting(environment, source)
        tree = environment.parse(rewrite_body(environment, source))
    except TemplateSyntaxError as exc:
        raise RenderError(f"{FIELD}: line {exc.lineno}: {exc.message}", field=FIELD) from None
    except ValueError as exc:
        raise RenderError(f"{FIELD}: {exc}", field=FIELD) from None
    except (RecursionError, MemoryError):
        message = f"{FIELD}: the template is too deep or too large to compile"
        raise RenderError(message, field=FIELD) from None
    return _plan(sandbox, tree)


def _plan(sandbox: Sandbox, tree: nodes.Template) -> BodyPlan | None:
    """The body's plan (`bodyplan`), writing with the filters the sandbox itself calls."""
    environment = sandbox.environment
    filters = environment.filters
    writers = Writers(
        in_string=filters[IN_STRING],
        as_value=filters[AS_VALUE],
        tojson=_tojson(sandbox),
        globals=frozenset(environment.globals),
    )
    return plan_body(tree, writers, cap=sandbox.limits.max_output_chars, check=_check_json)


def _tojson(sandbox: Sandbox) -> Callable[[Any], str]:
    """The sandbox's `tojson` filter, for a plan; with Jinja's default JSON policies, the same
    text from an encoder built once (`json.dumps` with options builds one per call)."""
    environment = sandbox.environment
    policies = environment.policies
    if policies["json.dumps_function"] is not None or policies["json.dumps_kwargs"] != {
        "sort_keys": True
    }:
        eval_context, tojson = EvalContext(environment), environment.filters["tojson"]
        return lambda value: str(tojson(eval_context, value))
    cap = sandbox.limits.max_string
    what = "the tojson filter's result"

    def write(value: Any) -> str:
        text = _SORTED_ENCODER.encode(value)
        # The guarded filter's checks. A value weighs at most 32 per character of its JSON
        # (a string its length, a float or null 32): a short text needs no weighing.
        if len(text) * 32 > cap:
            ensure_small(value, what, cap)
            refuse_if(len(text) > cap, what, cap)
        # As jinja2.utils.htmlsafe_json_dumps escapes its output.
        return (
            text.replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("'", "\\u0027")
        )

    return write


def _checked(text: str) -> None:
    """Refuse a body that is not JSON with a `RenderError` naming the line and column."""
    try:
        _check_json(text)
    except json.JSONDecodeError as exc:
        message = f"{FIELD}: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise RenderError(message, field=FIELD) from None
    except ValueError as exc:
        raise RenderError(f"{FIELD}: {exc}", field=FIELD) from None
    except RecursionError:
        raise RenderError(f"{FIELD}: the JSON is nested too deeply", field=FIELD) from None


def rewrite_body(environment: Environment, source: str) -> str:
    """Strip comments from the literal text and route each `{{ }}` through a JSON writer.

    >>> from jinja2 import Environment
    >>> rewrite_body(Environment(), '{"a": "{{ x }}" /* c */}')
    '{"a": "{{ ( x )|_hs_json_in_string }}" }'
    """
    text = _JsonText()
    out: list[str] = []
    tokens = iter(environment.lex(source))
    for _, kind, value in tokens:
        if kind != "variable_begin":
            out.append(text.feed(value) if kind == "data" else value)
            continue
        expression, end = read_placeholder(tokens)
        if text.comment is not None:
            # A placeholder inside a // or /* */ comment is commented out with it.
            out.append("\n" * (value + expression + end).count("\n"))
        elif _ends_with_tojson(environment, expression) and not text.in_string:
            out.append(value + expression + end)
        else:
            writer = IN_STRING if text.in_string else AS_VALUE
            # The lexer only ends a tag outside brackets, so `( … )` holds the whole expression.
            out.append(f"{value} ({expression})|{writer} {end}")
    return "".join(out)


class _JsonText:
    """Tracks whether literal text is inside a JSON string or a comment, across template tags."""

    def __init__(self) -> None:
        self.in_string = False
        self.escaped = False
        self.comment: str | None = None

    def feed(self, data: str) -> str:
        out: list[str] = []
        index, size = 0, len(data)
        while index < size:
            char = data[index]
            index += 1
            if self.comment == "line":
                if char == "\n":
                    self.comment = None
                    out.append(char)
            elif self.comment == "block":
                if char == "*" and data.startswith("/", index):
                    self.comment = None
                    index += 1
                elif char == "\n":
                    out.append(char)
            elif self.in_string:
                out.append(char)
                if self.escaped:
                    self.escaped = False
                elif char == "\\":
                    self.escaped = True
                elif char == '"':
                    self.in_string = False
            elif char == "/" and data.startswith(("/", "*"), index):
                self.comment = "line" if data[index] == "/" else "block"
                index += 1
            else:
                self.in_string = char == '"'
                out.append(char)
        return "".join(out)


def _ends_with_tojson(environment: Environment, expression: str) -> bool:
    try:
        parsed = environment.parse("{{" + expression + "}}")
    except TemplateSyntaxError:
        return False  # the compile step reports it with its line
    body = parsed.body
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        return False
    node = body[0].nodes[0]
    return isinstance(node, nodes.Filter) and node.name == "tojson"


def _in_string(sandbox: Sandbox) -> Callable[[Any], str]:
    def write(value: Any) -> str:
        if isinstance(value, Undefined):
            return str(value)  # empty, and recorded as a warning
        if value is None:
            return ""
        text = value if isinstance(value, str) else _dumps(sandbox, value)
        sandbox.ensure_small(text, "a body value")  # before escaping, which may grow it 6-fold
        return _json_string(text)[1:-1]

    return write


def _as_value(sandbox: Sandbox) -> Callable[[Any], str]:
    def write(value: Any) -> str:
        if isinstance(value, Undefined):
            str(value)  # recorded as a warning
            return "null"
        return _dumps(sandbox, value)

    return write


def _dumps(sandbox: Sandbox, value: Any) -> str:
    sandbox.ensure_small(value, "a body value")
    return _ENCODER.encode(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Undefined):
        str(value)
        return None
    if isinstance(value, Iterable):
        return list(value)
    return str(value)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


# Built once: `json.dumps` with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_jsonable)
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
_SORTED_ENCODER = json.JSONEncoder(sort_keys=True)  # what `json.dumps(value, sort_keys=True)` uses
_json_string: Callable[[str], str] = json.encoder.encode_basestring


def _check_json(text: str) -> None:
    """Parse the whole text as one JSON value (as `json.loads` does), refusing NaN/Infinity."""
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        orjson.loads(text)  # a third of the json module's time; what it accepts, json accepts
    except (ValueError, RecursionError):
        _DECODER.decode(text)  # the verdict and the message (line, column) of the json module
