"""Reading a `{{ placeholder }}` out of Jinja2's token stream, for the body and URL rewriters."""

from __future__ import annotations

from collections.abc import Iterator


def read_placeholder(tokens: Iterator[tuple[int, str, str]]) -> tuple[str, str]:
    """Consume the tokens after a `variable_begin` up to its end: (the expression, the end tag).

    >>> read_placeholder(iter([(1, "name", "a"), (1, "variable_end", "}}")]))
    ('a', '}}')
    """
    inner: list[str] = []
    for _, kind, value in tokens:
        if kind == "variable_end":
            return "".join(inner), value
        inner.append(value)
    return "".join(inner), ""
