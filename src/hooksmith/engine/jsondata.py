"""JSON read from outside (requests, upstream answers) within bounds: depth, integer size, text.

Python's parser recurses once per level and turns any number of digits into an int, so hostile
JSON can exhaust the stack or the CPU. `load_json` refuses what hooksmith will not carry: data
nested deeper than a limit (checked on the raw text before parsing), integers outside 64 bits,
NaN and Infinity, and lone surrogates (`"\\ud800"`), which no UTF-8 text can hold.

    >>> load_json(b'{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> load_json(b'[[[1]]]', max_depth=2)
    Traceback (most recent call last):
    ...
    hooksmith.engine.jsondata.JsonRefused: nested deeper than 2 levels
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64
INT_MIN, INT_MAX = -(2**63), 2**64 - 1
_INT_DIGITS = 20  # every integer of 64 bits has at most this many digits

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1
_LONG_NUMBER = re.compile(rb"[0-9]{20}|[0-9][eE][+-]?[0-9]{3}")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


class JsonRefused(ValueError):
    """JSON that is malformed or outside hooksmith's bounds; the message says which."""


def load_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text within the bounds above; raises `JsonRefused`.

    >>> load_json('{"n": 18446744073709551616}')
    Traceback (most recent call last):
    ...
    hooksmith.engine.jsondata.JsonRefused: the integer 18446744073709551616 is outside 64 bits
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if too_deep(data, max_depth):
        raise JsonRefused(f"nested deeper than {max_depth} levels")
    try:
        if _LONG_NUMBER.search(data) is None:  # the hooks cost a call per number
            value = json.loads(data, parse_constant=_refuse_constant)
        else:
            value = json.loads(
                data,
                parse_int=_bounded_int,
                parse_float=_finite_float,
                parse_constant=_refuse_constant,
            )
    except json.JSONDecodeError as error:
        raise JsonRefused(f"line {error.lineno}, column {error.colno}: {error.msg}") from None
    except UnicodeDecodeError:
        raise JsonRefused("not UTF-8 text") from None
    except RecursionError:  # pragma: no cover - too_deep refuses these first
        raise JsonRefused(f"nested deeper than {max_depth} levels") from None
    except ValueError as error:
        raise JsonRefused(str(error)) from None
    if _SURROGATE_ESCAPE.search(data) is not None:
        lone = next(_lone_surrogates(value), None)
        if lone is not None:
            raise JsonRefused(f"a string holds a lone surrogate (\\u{ord(lone):04x}), not text")
    return value


NOT_A_CONVERSATION = "conversation data must be a JSON object"


def conversation_data(data: Any) -> dict[str, Any] | None:
    """Conversation data as templates get it: a JSON object, nothing (`None`) being an empty one;
    None when `data` is anything else (the caller says so with `NOT_A_CONVERSATION`).

    >>> conversation_data(None), conversation_data({"userName": "Ana"}), conversation_data([1])
    ({}, {'userName': 'Ana'}, None)
    """
    if data is None:
        return {}
    return data if isinstance(data, dict) else None


def too_deep(raw: bytes, max_depth: int) -> bool:
    """Whether JSON text nests arrays and objects deeper than `max_depth`, found without parsing.

    >>> too_deep(b'{"a": "[[[["}', 1), too_deep(b'[[]]', 1)
    (False, True)
    """
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return False
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > max_depth


def json_data(
    value: Any, *, max_depth: int = MAX_DEPTH, other: Callable[[Any], Any] | None = None
) -> Any:
    """`value` as plain JSON data (tuples as lists, str subclasses as str); raises `JsonRefused`
    for what JSON cannot carry (a function, a class, NaN, an integer past 64 bits, a lone
    surrogate). `other` may turn any other object into data first (or raise).

    >>> json_data({"a": (1, "x", None)})
    {'a': [1, 'x', None]}
    >>> json_data(range)
    Traceback (most recent call last):
    ...
    hooksmith.engine.jsondata.JsonRefused: a class (range) is not a JSON value
    """
    return _data(value, max_depth, other)


def _data(item: Any, depth_left: int, other: Callable[[Any], Any] | None) -> Any:
    kind = type(item)
    if item is None or kind is bool:
        return item
    if kind is int:
        if not INT_MIN <= item <= INT_MAX:
            raise JsonRefused("an integer outside 64 bits is not carried")
        return item
    if isinstance(item, str):
        if _LONE_SURROGATE.search(item):
            raise JsonRefused("a string holds a lone surrogate, not text")
        return item if kind is str else str(item)
    if kind is float:
        if item != item or item in (float("inf"), float("-inf")):
            raise JsonRefused(f"{item} is not a JSON value")
        return item
    if isinstance(item, list | tuple | dict):
        if depth_left <= 0:
            raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            return {_key(key): _data(child, depth_left - 1, other) for key, child in item.items()}
        return [_data(child, depth_left - 1, other) for child in item]
    if other is not None:
        replaced = other(item)
        if replaced is not item:
            return _data(replaced, depth_left, None)
    raise JsonRefused(f"{_kind(item)} is not a JSON value")


def _key(key: Any) -> str:
    if isinstance(key, str) and not _LONE_SURROGATE.search(key):
        return str(key)
    if type(key) is int:
        return str(key)
    raise JsonRefused(f"an object's key must be text, not {_kind(key)}")


def not_text(value: str) -> str | None:
    """Why `value` cannot be stored or sent as text (NUL, a lone surrogate), or None.

    >>> not_text("ok"), not_text("a\\x00b")
    (None, 'contains the character U+0000, which is not text')
    """
    found = _NOT_TEXT.search(value)
    if found is None:
        return None
    return f"contains the character U+{ord(found.group()):04X}, which is not text"


def _kind(item: Any) -> str:
    if isinstance(item, type):
        return f"a class ({item.__name__})"
    if callable(item):
        name = getattr(item, "__name__", type(item).__name__)
        return f"a function ({name})"
    return f"a {type(item).__name__}"


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > _INT_DIGITS:
        raise ValueError(f"an integer of {len(digits.lstrip('-'))} digits is outside 64 bits")
    value = int(digits)
    if not INT_MIN <= value <= INT_MAX:
        raise ValueError(f"the integer {digits} is outside 64 bits")
    return value


def _finite_float(digits: str) -> float:
    value = float(digits)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {digits[:20]}… is outside the range of a double")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _lone_surrogates(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found = _LONE_SURROGATE.search(item)
            if found is not None:
                yield found.group()
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
