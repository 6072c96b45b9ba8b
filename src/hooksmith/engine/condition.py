"""The success condition of a webhook: when a 2xx answer is really a success.

See docs/design.md#sending.

Some APIs answer `200` with an error in the body. A webhook's optional `success_condition` is
one Jinja2 expression over `response`, `status` and `headers` (and the conversation's data, as
mappers see it); when it is false on a 2xx answer the result is an `http_error`.

    >>> import time
    >>> holds(Sandbox(), "response.error is not defined", {"response": {"error": "no"}},
    ...       deadline=time.monotonic() + 1)
    (False, 'the condition is false')
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Undefined
from jinja2.environment import TemplateExpression

from hooksmith.engine.errors import RenderError
from hooksmith.engine.mapping import expression_of
from hooksmith.engine.sandbox import Sandbox

FIELD = "success_condition"


def compile_condition(sandbox: Sandbox, source: str) -> TemplateExpression:
    """Compile the condition (`{{ … }}` around it is allowed); raises `RenderError` if it is not
    one valid expression.

    >>> compile_condition(Sandbox(), "{{ status == 200 }}")(status=200)
    True
    """
    expression = expression_of(source)
    if expression is None or not expression.strip():
        raise RenderError(
            f"{FIELD}: must be one expression, e.g. response.error is not defined", field=FIELD
        )
    return sandbox.compile_expression(expression, field=FIELD)


def check_condition(source: str) -> None:
    """Compile-check a condition when a definition is validated; raises `ValueError`.

    >>> check_condition("response.ok ==")
    Traceback (most recent call last):
    ...
    ValueError: line 1: unexpected 'end of template'
    """
    try:
        compile_condition(_validation_sandbox(), source)
    except RenderError as error:
        raise ValueError(error.message.removeprefix(f"{FIELD}: ")) from None


def holds(
    sandbox: Sandbox, source: str, scope: Mapping[str, Any], *, deadline: float
) -> tuple[bool, str | None]:
    """Whether the condition holds in `scope`, and why not when it does not.

    A condition that yields no value (an undefined path) or fails while evaluating is false:
    an answer hooksmith cannot confirm as a success is not reported as one.
    """
    try:
        expression = compile_condition(sandbox, source)
        value = sandbox.evaluate(expression, scope, deadline=deadline, field=FIELD).value
    except RenderError as error:
        why = error.message.removeprefix(f"{FIELD}: ")
        return False, f"the condition could not be evaluated: {why}"
    if isinstance(value, Undefined):
        return False, "the condition yields no value"
    if not value:
        return False, "the condition is false"
    return True, None


@cache
def _validation_sandbox() -> Sandbox:
    """One sandbox for compile checks, built on first use (nothing happens at import time)."""
    return Sandbox()
