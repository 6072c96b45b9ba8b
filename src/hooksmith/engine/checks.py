"""Checks of a definition that need its templates compiled: what can never render or map.

`parse_webhook` checks each field's shape; these checks compile the URL, params, headers,
body and mappers in the sandbox, so that a syntax error (an unclosed `{% if %}`, a mapper
`response.body.[`) or a body that no data can make JSON is reported when it is written, not
when a conversation first runs it. Nothing is rendered and nothing is sent.

    >>> template_problems(Webhook(name="x", url="https://x.io/{{ a }}", body='{"a": 1,}'))
    [('body', 'whatever the data, not JSON: line 1, column 9: Expecting property name ...')]
"""

from __future__ import annotations

from collections.abc import Callable

from hooksmith.engine.body import check_body
from hooksmith.engine.company import company_value_problems
from hooksmith.engine.definition import Webhook
from hooksmith.engine.errors import MappingError, RenderError
from hooksmith.engine.mapping import check_mapper
from hooksmith.engine.sandbox import Sandbox
from hooksmith.engine.url import check_url


def template_problems(webhook: Webhook) -> list[tuple[str, str]]:
    """Every (field, message) of a template or mapper that cannot work, whatever the data."""
    sandbox = Sandbox()
    problems: list[tuple[str, str]] = []

    def attempt(field: str, check: Callable[[], None]) -> None:
        try:
            check()
        except (RenderError, MappingError) as error:
            problems.append((field, error.message.removeprefix(f"{error.field}: ")))

    attempt("url", lambda: check_url(sandbox, webhook.url))
    for index, param in enumerate(webhook.params):
        for part, text in (("key", param.key), ("value", param.value)):
            field = f"params[{index}].{part}"
            attempt(field, lambda f=field, t=text: _check_text(sandbox, t, f))  # type: ignore[misc]
    for index, header in enumerate(webhook.headers):
        field = f"headers[{index}].value"
        attempt(field, lambda f=field, t=header.value: _check_text(sandbox, t, f))  # type: ignore[misc]
    if webhook.body is not None:
        body = webhook.body
        attempt("body", lambda: check_body(sandbox, body))
    for index, variable in enumerate(webhook.custom_variables):
        mapper = variable.mapper
        attempt(
            f"custom_variables[{index}].mapper",
            lambda m=mapper: check_mapper(sandbox, m),  # type: ignore[misc]
        )
    problems.extend(company_value_problems(webhook))
    return problems


def _check_text(sandbox: Sandbox, source: str, field: str) -> None:
    if "{" in source:
        sandbox.compile_template("text", source, field=field)
