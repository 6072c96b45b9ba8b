"""The sandbox's size caps: what a template may build, weighed before it is built.

See docs/design.md#rendering.

Every operator, string method and filter that can grow its input is checked here against the
caps in `Limits`; anything that would pass them raises `Refused`, which the sandbox reports as
a render error. Nothing here renders: these are pure checks on values and arguments.

    >>> check_binop("*", "a", 300_000_000, 1_000_000)
    Traceback (most recent call last):
    ...
    hooksmith.engine.caps.Refused: a * result would be larger than the limit of 1,000,000 characters
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from jinja2.sandbox import SandboxedFormatter
from jinja2.utils import Namespace
from markupsafe import EscapeFormatter

MAX_INT_BITS = 1 << 16
# Filters that turn their input into text: their input is weighed before it is stringified.
STRINGIFYING_FILTERS = frozenset(
    "capitalize center e escape forceescape format indent join lower pprint replace safe "
    "string striptags title tojson trim truncate upper urlencode urlize wordcount wordwrap "
    "xmlattr".split()
)
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?.")
_DIGITS = re.compile(r"\d+")
_SEQUENCES = (str, bytes, list, tuple)
_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})

Iterate = Callable[[Iterable[Any]], Iterator[Any]]


@dataclass(frozen=True)
class Limits:
    """The sandbox's caps; the defaults suit webhook bodies, headers and mappers."""

    max_output_chars: int = 1_000_000
    max_range: int = 10_000
    max_string: int = 1_000_000
    max_template_cache: int = 2048
    max_loop_iterations: int = 100_000  # all `for` loops of one render together


class Refused(Exception):
    """A template went past one of the sandbox's limits (size, range, time)."""


def text_weight(value: Any, budget: int) -> int:
    """Estimate how many characters `value` becomes as text, stopping once past `budget`.

    >>> text_weight(["ab", "cd"], 100)
    14
    """
    if isinstance(value, str):  # the common cases, without the walk
        return len(value) + 2
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    total = 0
    stack = [value]
    while stack and total <= budget:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 2
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            if total <= budget:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            if total <= budget:
                stack.extend(item)
        elif isinstance(item, Namespace):
            stack.append(object.__getattribute__(item, "_Namespace__attrs"))
        else:
            total += 32
    return total


def refuse_if(condition: bool, what: str, cap: int) -> None:
    """Raise `Refused` naming `what` when `condition` holds.

    >>> refuse_if(False, "a result", 10)
    """
    if condition:
        raise Refused(f"{what} would be larger than the limit of {cap:,} characters")


def ensure_small(value: Any, what: str, cap: int) -> None:
    """Refuse a value whose text would be longer than `cap` characters.

    >>> ensure_small("short", "a value", 100)
    """
    weight = len(value) + 2 if type(value) is str else text_weight(value, cap)
    if weight > cap:
        refuse_if(True, what, cap)


def check_result(value: Any, cap: int) -> None:
    """Refuse a string or sequence result longer than `cap` (the check after each operation)."""
    if isinstance(value, str | bytes | list | tuple) and len(value) > cap:
        refuse_if(True, "the result", cap)


def check_binop(operator: str, left: Any, right: Any, cap: int) -> None:
    """Refuse `*`, `**`, `+` and `%` whose result would be too large, before computing it."""
    if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        bits = right * max(left.bit_length() - 1, 0)
        refuse_if(bits > MAX_INT_BITS, "a ** result", cap)
    elif operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            bits = left.bit_length() + right.bit_length()
            refuse_if(bits > MAX_INT_BITS, "a * result", cap)
        elif isinstance(left, _SEQUENCES) and isinstance(right, int):
            refuse_if(len(left) * right > cap, "a * result", cap)
        elif isinstance(right, _SEQUENCES) and isinstance(left, int):
            refuse_if(len(right) * left > cap, "a * result", cap)
    elif operator == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        refuse_if(len(left) + len(right) > cap, "a + result", cap)
    elif operator == "%" and isinstance(left, str | bytes):
        check_percent(left, right, cap)


def check_percent(template: str | bytes, args: Any, cap: int) -> None:
    """Refuse a `%` format whose widths or arguments would make its result too large."""
    text = template if isinstance(template, str) else template.decode("latin-1")
    need = len(text) + text_weight(args, cap)
    for match in _PERCENT_FIELD.finditer(text):
        for number in match.group(1, 2):
            if number == "*":
                raise Refused("a '*' width in a % format is not allowed")
            if number:
                need += int(number) if len(number) < 10 else cap + 1
    refuse_if(need > cap, "a % result", cap)


def _count(text: str | bytes, sub: str) -> int:
    return text.count(sub) if isinstance(text, str) else text.count(sub.encode())


def _estimate_replace(text: Any, old: Any, new: Any, count: Any) -> int:
    if not isinstance(text, str | bytes) or not isinstance(old, type(text)):
        return 0
    if not isinstance(new, str | bytes):
        return len(text)
    hits = len(text) + 1 if not old else text.count(old)  # type: ignore[arg-type]
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def check_text_method(
    owner: str | bytes,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    cap: int,
    iterate: Iterate,
) -> tuple[Any, ...]:
    """Refuse a str/bytes method call (padding, replace, join…) whose result would be too large.

    Returns the arguments to call it with: `join`'s iterable is drawn (through `iterate`,
    which counts loop iterations) and weighed first.
    """
    what = f"{name}()"
    first = args[0] if args else None
    if name in _PADDING_METHODS:
        width = kwargs.get("width", first)
        refuse_if(isinstance(width, int) and width > cap, what, cap)
    elif name == "expandtabs":
        size = kwargs.get("tabsize", 8 if first is None else first)
        if isinstance(size, int):
            refuse_if(len(owner) + _count(owner, "\t") * size > cap, what, cap)
    elif name == "replace" and len(args) >= 2:
        count = kwargs.get("count", args[2] if len(args) > 2 else -1)
        refuse_if(_estimate_replace(owner, args[0], args[1], count) > cap, what, cap)
    elif name == "join" and args:
        items = list(iterate(args[0]))
        ensure_small(items, what, cap)
        refuse_if(len(owner) * len(items) > cap, what, cap)
        return (items, *args[1:])
    elif name == "translate" and isinstance(first, Mapping):
        longest = max((len(v) for v in first.values() if isinstance(v, str)), default=1)
        refuse_if(len(owner) * longest > cap, what, cap)
    return args


def check_filter(
    name: str,
    offset: int,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    limits: Limits,
    iterate: Iterate,
) -> tuple[Any, ...]:
    """Refuse a filter call whose result would pass the caps; returns the arguments to use.

    `offset` is 1 for filters that take the environment or context first.
    """
    if len(args) <= offset:
        return args
    cap, value, rest = limits.max_string, args[offset], args[offset + 1 :]

    def arg(index: int, key: str, default: Any) -> Any:
        return rest[index] if len(rest) > index else kwargs.get(key, default)

    what = f"the {name} filter's result"
    if name in STRINGIFYING_FILTERS:
        ensure_small(value, what, cap)
    size = len(value) if isinstance(value, str) else 0
    if name == "center":
        width = arg(0, "width", 80)
        refuse_if(isinstance(width, int) and width > cap, what, cap)
    elif name == "indent":
        width = arg(0, "width", 4)
        pad = width if isinstance(width, int) else len(str(width))
        refuse_if(size + (_count(str(value), "\n") + 1) * pad > cap, what, cap)
    elif name == "wordwrap":
        wrap = arg(2, "wrapstring", None) or "\n"
        refuse_if(size + (size + 1) * len(str(wrap)) > cap, what, cap)
    elif name == "replace" and len(rest) >= 2:
        estimate = _estimate_replace(value, rest[0], rest[1], arg(2, "count", None))
        refuse_if(estimate > cap, what, cap)
    elif name == "format" and isinstance(value, str):
        check_percent(value, kwargs or rest, cap)
    elif name == "join":
        items = list(iterate(value))
        ensure_small(items, what, cap)
        refuse_if(len(str(arg(0, "d", ""))) * len(items) > cap, what, cap)
        return (*args[:offset], items, *rest)
    elif name in ("batch", "slice"):
        count = arg(0, "linecount" if name == "batch" else "slices", 0)
        limit = limits.max_range
        if isinstance(count, int) and count > limit:
            raise Refused(f"the {name} filter is limited to {limit:,} items")
    elif name == "sum" and not isinstance(arg(1, "start", 0), int | float):
        raise Refused("the sum filter adds numbers only")
    return args


class CappedFormatter(SandboxedFormatter):
    """`str.format` in the sandbox, refusing widths and results past the cap."""

    def __init__(self, env: Environment, cap: int, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self._cap = cap
        self._used = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        widths = [int(d) if len(d) < 10 else self._cap + 1 for d in _DIGITS.findall(format_spec)]
        need = max(widths, default=0) + text_weight(value, self._cap)
        refuse_if(self._used + need > self._cap, "a format() result", self._cap)
        result = super().format_field(value, format_spec)
        self._used += len(result)
        return result


class CappedEscapeFormatter(CappedFormatter, EscapeFormatter):
    """`Markup.format` in the sandbox: escaping, with the same caps."""
