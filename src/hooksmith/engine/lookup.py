"""A shortcut past the sandbox for the commonest template: one `{{ a.b.c }}` read from JSON.

Headers, params and mappers are mostly a single path into the conversation or the response.
When every step of such a path is a key of a plain dict and the value is a small string or
number, the sandbox would give that very value; anything else (a missing key, another type, a
filter, a big value) returns `MISSING` and the caller renders the template as usual, with its
warnings, caps and errors.

    >>> read(path_of("{{ certainly.botId }}"), {"certainly": {"botId": "b-1"}})
    'b-1'
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final

MISSING: Final = object()
_PATH: Final = re.compile(
    r"(?:\{\{)?\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*(?:\}\})?"
)
# Names Jinja gives a meaning of its own, whatever the data holds.
_RESERVED: Final = frozenset(
    {"true", "false", "none", "True", "False", "None", "self", "loop", "caller", "varargs"}
    | {"kwargs", "super", "and", "or", "not", "in", "is", "if", "else"}
)
_BIG: Final = 10**18  # past this an int is no longer a plain small number in the caps' eyes


@lru_cache(maxsize=4096)
def path_of(source: str) -> tuple[str, ...] | None:
    """The keys `{{ a.b }}` (or the expression `a.b`) reads, or None for any other template.

    >>> path_of("{{ response.ticket.id }}"), path_of("{{ a|upper }}")
    (('response', 'ticket', 'id'), None)
    """
    match = _PATH.fullmatch(source)
    if match is None or source.startswith("{{") != source.endswith("}}"):
        return None
    names = tuple(match[1].split("."))
    return None if names[0] in _RESERVED else names


def read(path: tuple[str, ...] | None, data: Any, *, cap: int = 100_000) -> Any:
    """The JSON leaf at `path` in nested plain dicts (a string of at most `cap` characters, a
    number, a bool or null), else `MISSING`.

    >>> read(("a", "b"), {"a": {"b": 7}}), read(("a", "c"), {"a": {"b": 7}}) is MISSING
    (7, True)
    """
    if path is None:
        return MISSING
    for key in path:
        if type(data) is not dict:
            return MISSING
        data = data.get(key, MISSING)
    kind = type(data)
    if kind is str:
        return data if len(data) <= cap else MISSING
    if kind is int:
        return data if -_BIG < data < _BIG else MISSING
    if kind is float or kind is bool or data is None:
        return data
    return MISSING


def read_text(path: tuple[str, ...] | None, data: Any, *, cap: int) -> str | None:
    """What the template `{{ path }}` renders to when it is a string or an integer, else None.

    >>> read_text(("n",), {"n": 42}, cap=10)
    '42'
    """
    value = read(path, data, cap=cap)
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return str(value)
    return None
