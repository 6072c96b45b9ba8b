"""The hardened Jinja2 sandbox every template and mapper runs in (DESIGN.md §3 "Sandbox").

It refuses escapes, caps the size of anything a template can build before it is built, and
stops a render that passes the webhook's deadline; undefined names render empty and are
reported as warnings.

    >>> import time
    >>> sandbox = Sandbox()
    >>> sandbox.render_text("Hi {{ name }}", {"name": "Ana"},
    ...                     deadline=time.monotonic() + 1, field="x").value
    'Hi Ana'
"""

from __future__ import annotations

import re
import threading
import time
import types
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import update_wrapper
from typing import Any, Generic, TypeVar, cast

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, Undefined, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer
from markupsafe import EscapeFormatter, Markup

from hooksmith.engine.errors import RenderError

T = TypeVar("T")

MAX_INT_BITS = 1 << 16
LOOP_FILTER = "_hs_loop"
CONCAT_FILTER = "_hs_concat"
TIME_OUT = "rendering took longer than the webhook's time-out"
# Filters that turn their input into text: their input is weighed before it is stringified.
STRINGIFYING_FILTERS = frozenset(
    "capitalize center e escape forceescape format indent join lower pprint replace safe "
    "string striptags title tojson trim truncate upper urlencode urlize wordcount wordwrap "
    "xmlattr".split()
)
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?.")
_DIGITS = re.compile(r"\d+")
_SEQUENCES = (str, bytes, list, tuple)


@dataclass(frozen=True)
class Limits:
    """The sandbox's caps; the defaults suit webhook bodies, headers and mappers."""

    max_output_chars: int = 1_000_000
    max_range: int = 10_000
    max_string: int = 1_000_000
    max_template_cache: int = 2048
    max_loop_iterations: int = 100_000  # all `for` loops of one render together


@dataclass(frozen=True)
class Rendered(Generic[T]):
    """A rendered value with the warnings (undefined names) collected while rendering it."""

    value: T
    warnings: tuple[str, ...] = ()


class _Refused(Exception):
    """A template went past one of the sandbox's limits (size, range, time)."""


@dataclass
class _Session:
    deadline: float
    iterations: int = 0
    undefined: dict[str, None] = field(default_factory=dict)
    paths: dict[int, str] = field(default_factory=dict)


_SESSION: ContextVar[_Session | None] = ContextVar("hooksmith_sandbox_session", default=None)


def _check_time() -> None:
    session = _SESSION.get()
    if session is not None and time.monotonic() > session.deadline:
        raise _Refused(TIME_OUT)


def undefined_path(value: Undefined) -> str:
    """The dotted name an undefined value stands for, e.g. `certainly.sessionId`.

    >>> undefined_path(_Undefined(name="userName"))
    'userName'
    """
    name = value._undefined_name
    return name if isinstance(name, str) else "?"


class _Undefined(ChainableUndefined):
    """Renders empty, chains (`a.b.c`), and records its name when it is rendered or iterated."""

    __slots__ = ()

    def _note(self) -> None:
        session = _SESSION.get()
        if session is not None:
            session.undefined[undefined_path(self)] = None

    def __str__(self) -> str:
        self._note()
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._note()
        yield from ()

    def __len__(self) -> int:
        self._note()
        return 0

    def __getattr__(self, name: str) -> _Undefined:
        if name[:1] == "_":
            raise AttributeError(name)
        return _Undefined(name=f"{undefined_path(self)}.{name}")

    def __getitem__(self, key: Any) -> _Undefined:  # type: ignore[override]
        return _Undefined(name=_child_name(undefined_path(self), key))


def _child_name(parent: str | None, key: Any) -> str:
    text = key if isinstance(key, str) else repr(key)
    if parent is None:
        return text
    return f"{parent}.{key}" if isinstance(key, str) else f"{parent}[{text}]"


def text_weight(value: Any, budget: int) -> int:
    """Estimate how many characters `value` becomes as text, stopping once past `budget`.

    >>> text_weight(["ab", "cd"], 100)
    14
    """
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


def _refuse_if(condition: bool, what: str, cap: int) -> None:
    if condition:
        raise _Refused(f"{what} would be larger than the limit of {cap:,} characters")


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


class _CappedFormatter(SandboxedFormatter):
    """`str.format` in the sandbox, refusing widths and results past the cap."""

    def __init__(self, env: _Environment, cap: int, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self._cap = cap
        self._used = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        widths = [int(d) if len(d) < 10 else self._cap + 1 for d in _DIGITS.findall(format_spec)]
        need = max(widths, default=0) + text_weight(value, self._cap)
        _refuse_if(self._used + need > self._cap, "a format() result", self._cap)
        result = super().format_field(value, format_spec)
        self._used += len(result)
        return result


class _CappedEscapeFormatter(_CappedFormatter, EscapeFormatter):
    pass


class _Guards(NodeTransformer):
    """Routes every `for` loop and `~` concatenation through the sandbox's checks."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, LOOP_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        items = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(items, CONCAT_FILTER, [], [], None, None, lineno=node.lineno)


class _Environment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with size caps, a deadline and recorded undefined names."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, limits: Limits) -> None:
        super().__init__(autoescape=False, undefined=_Undefined)
        self.limits = limits
        self.finalize = self._finalize
        for name in ("lipsum", "cycler", "joiner"):
            self.globals.pop(name, None)
        self.globals["range"] = self._range
        self.filters = {name: self._guard_filter(name, f) for name, f in self.filters.items()}
        self.filters[LOOP_FILTER] = self._loop
        self.filters[CONCAT_FILTER] = self._concat

    # -- compiling ---------------------------------------------------------------------------
    def _generate(
        self,
        source: nodes.Template,
        name: str | None,
        filename: str | None,
        defer_init: bool = False,
    ) -> str:
        guarded = _Guards().visit(source)
        guarded.set_environment(self)
        return super()._generate(guarded, name, filename, defer_init=defer_init)

    # -- sizes --------------------------------------------------------------------------------
    def ensure_small(self, value: Any, what: str, cap: int | None = None) -> None:
        limit = self.limits.max_string if cap is None else cap
        _refuse_if(text_weight(value, limit) > limit, what, limit)

    def _check_result(self, value: Any) -> None:
        if isinstance(value, str | bytes | list | tuple):
            _refuse_if(len(value) > self.limits.max_string, "the result", self.limits.max_string)

    def _finalize(self, value: Any) -> Any:
        cap = self.limits.max_output_chars
        if isinstance(value, str):
            _refuse_if(len(value) > cap, "an output", cap)
        elif not isinstance(value, Undefined):
            self.ensure_small(value, "an output", cap)
        return value

    def concat(self, parts: Any) -> str:
        """Join buffered output (set blocks, macros) only while it stays under the cap."""
        total, kept, cap = 0, [], self.limits.max_output_chars
        for part in parts:
            total += len(part)
            _refuse_if(total > cap, "an output", cap)
            kept.append(part)
        return "".join(kept)

    def _concat(self, values: list[Any]) -> str:
        texts, total, cap = [], 0, self.limits.max_string
        for value in values:
            self.ensure_small(value, "a ~ concatenation")
            text = str(value)
            total += len(text)
            _refuse_if(total > cap, "a ~ concatenation", cap)
            texts.append(text)
        return "".join(texts)

    def _loop(self, value: Any) -> Any:
        if isinstance(value, Undefined):
            return value
        return self._checked_iter(value)

    def _checked_iter(self, value: Any) -> Iterator[Any]:
        session, budget = _SESSION.get(), self.limits.max_loop_iterations
        for index, item in enumerate(value):
            if session is not None:
                session.iterations += 1
                if session.iterations > budget:
                    raise _Refused(f"loops are limited to {budget:,} iterations in all")
            if index % 64 == 0:
                _check_time()
            yield item

    def _range(self, *args: int) -> range:
        _check_time()
        result = range(*args)
        if len(result) > self.limits.max_range:
            raise _Refused(f"range() is limited to {self.limits.max_range:,} items")
        return result

    # -- operators ----------------------------------------------------------------------------
    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_time()
        cap = self.limits.max_string
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            bits = right * max(left.bit_length() - 1, 0)
            _refuse_if(bits > MAX_INT_BITS, "a ** result", cap)
        elif operator == "*":
            if isinstance(left, int) and isinstance(right, int):
                bits = left.bit_length() + right.bit_length()
                _refuse_if(bits > MAX_INT_BITS, "a * result", cap)
            elif isinstance(left, _SEQUENCES) and isinstance(right, int):
                _refuse_if(len(left) * right > cap, "a * result", cap)
            elif isinstance(right, _SEQUENCES) and isinstance(left, int):
                _refuse_if(len(right) * left > cap, "a * result", cap)
        elif operator == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            _refuse_if(len(left) + len(right) > cap, "a + result", cap)
        elif operator == "%" and isinstance(left, str | bytes):
            self._check_percent(left, right)
        result = super().call_binop(context, operator, left, right)
        self._check_result(result)
        return result

    def _check_percent(self, template: str | bytes, args: Any) -> None:
        cap = self.limits.max_string
        text = template if isinstance(template, str) else template.decode("latin-1")
        need = len(text) + text_weight(args, cap)
        for match in _PERCENT_FIELD.finditer(text):
            for number in match.group(1, 2):
                if number == "*":
                    raise _Refused("a '*' width in a % format is not allowed")
                if number:
                    need += int(number) if len(number) < 10 else cap + 1
        _refuse_if(need > cap, "a % result", cap)

    # -- attributes and calls ------------------------------------------------------------------
    def _child(self, obj: Any, key: Any, value: Any) -> Any:
        session = _SESSION.get()
        parent = session.paths.get(id(obj)) if session is not None else None
        if isinstance(value, Undefined):
            return self.undefined(name=_child_name(parent, key))
        if session is not None and parent is not None and isinstance(value, Mapping | list):
            session.paths[id(value)] = _child_name(parent, key)
        return value

    def getattr(self, obj: Any, attribute: str) -> Any:
        _check_time()
        if isinstance(obj, Undefined):
            if attribute.startswith("_"):
                raise SecurityError(f"access to attribute {attribute!r} is unsafe")
            return self.undefined(name=_child_name(undefined_path(obj), attribute))
        if isinstance(obj, Mapping):
            # On JSON data a key wins over a dict method (`response.items` reads the key).
            try:
                return self._child(obj, attribute, obj[attribute])
            except (KeyError, TypeError):
                pass
        return self._child(obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        _check_time()
        if isinstance(obj, Undefined):
            if isinstance(argument, str) and argument.startswith("_"):
                raise SecurityError(f"access to attribute {argument!r} is unsafe")
            return self.undefined(name=_child_name(undefined_path(obj), argument))
        return self._child(obj, argument, super().getitem(obj, argument))

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe"
        )

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not isinstance(value, types.MethodType | types.BuiltinMethodType) or (
            value.__name__ not in ("format", "format_map")
        ):
            return None
        owner: Any = value.__self__
        if not isinstance(owner, str):
            return None
        is_map = value.__name__ == "format_map"
        cap = self.limits.max_string

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one positional argument")
                kwargs = args[0]
                args = ()
            formatter: _CappedFormatter
            if isinstance(owner, Markup):
                formatter = _CappedEscapeFormatter(self, cap, escape=owner.escape)
            else:
                formatter = _CappedFormatter(self, cap)
            return type(owner)(formatter.vformat(owner, args, kwargs))

        return update_wrapper(wrapper, value)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_time()
        obj = self.wrap_str_format(obj) or obj
        owner = getattr(obj, "__self__", None)
        if isinstance(obj, types.BuiltinMethodType) and isinstance(owner, str | bytes):
            args = self._check_text_method(owner, obj.__name__, args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        self._check_result(result)
        return result

    def _check_text_method(
        self, owner: str | bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Any, ...]:
        cap = self.limits.max_string
        what = f"{name}()"
        first = args[0] if args else None
        if name in ("center", "ljust", "rjust", "zfill"):
            width = kwargs.get("width", first)
            _refuse_if(isinstance(width, int) and width > cap, what, cap)
        elif name == "expandtabs":
            size = kwargs.get("tabsize", 8 if first is None else first)
            if isinstance(size, int):
                _refuse_if(len(owner) + _count(owner, "\t") * size > cap, what, cap)
        elif name == "replace" and len(args) >= 2:
            count = kwargs.get("count", args[2] if len(args) > 2 else -1)
            _refuse_if(_estimate_replace(owner, args[0], args[1], count) > cap, what, cap)
        elif name == "join" and args:
            items = list(self._checked_iter(args[0]))
            self.ensure_small(items, what)
            _refuse_if(len(owner) * len(items) > cap, what, cap)
            return (items, *args[1:])
        elif name == "translate" and isinstance(first, Mapping):
            longest = max((len(v) for v in first.values() if isinstance(v, str)), default=1)
            _refuse_if(len(owner) * longest > cap, what, cap)
        return args

    # -- filters ------------------------------------------------------------------------------
    def _guard_filter(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        offset = 1 if hasattr(func, "jinja_pass_arg") else 0

        def guarded(*args: Any, **kwargs: Any) -> Any:
            _check_time()
            args = self._check_filter(name, offset, args, kwargs)
            result = func(*args, **kwargs)
            self._check_result(result)
            return result

        return update_wrapper(guarded, func)

    def _check_filter(
        self, name: str, offset: int, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Any, ...]:
        if len(args) <= offset:
            return args
        cap, value, rest = self.limits.max_string, args[offset], args[offset + 1 :]

        def arg(index: int, key: str, default: Any) -> Any:
            return rest[index] if len(rest) > index else kwargs.get(key, default)

        what = f"the {name} filter's result"
        if name in STRINGIFYING_FILTERS:
            self.ensure_small(value, what)
        size = len(value) if isinstance(value, str) else 0
        if name == "center":
            width = arg(0, "width", 80)
            _refuse_if(isinstance(width, int) and width > cap, what, cap)
        elif name == "indent":
            width = arg(0, "width", 4)
            pad = width if isinstance(width, int) else len(str(width))
            _refuse_if(size + (_count(str(value), "\n") + 1) * pad > cap, what, cap)
        elif name == "wordwrap":
            wrap = arg(2, "wrapstring", None) or "\n"
            _refuse_if(size + (size + 1) * len(str(wrap)) > cap, what, cap)
        elif name == "replace" and len(rest) >= 2:
            estimate = _estimate_replace(value, rest[0], rest[1], arg(2, "count", None))
            _refuse_if(estimate > cap, what, cap)
        elif name == "format" and isinstance(value, str):
            self._check_percent(value, kwargs or rest)
        elif name == "join":
            items = list(self._checked_iter(value))
            self.ensure_small(items, what)
            _refuse_if(len(str(arg(0, "d", ""))) * len(items) > cap, what, cap)
            return (*args[:offset], items, *rest)
        elif name in ("batch", "slice"):
            count = arg(0, "linecount" if name == "batch" else "slices", 0)
            limit = self.limits.max_range
            if isinstance(count, int) and count > limit:
                raise _Refused(f"the {name} filter is limited to {limit:,} items")
        elif name == "sum" and not isinstance(arg(1, "start", 0), int | float):
            raise _Refused("the sum filter adds numbers only")
        return args


class Sandbox:
    """Jinja2 ImmutableSandboxedEnvironment, hardened; one per process; caches compiled templates.

    >>> import time
    >>> Sandbox().render_text("{{ 6 * 7 }}", {}, deadline=time.monotonic() + 1, field="x").value
    '42'
    """

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.environment = _Environment(self.limits)
        self._cache: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def render_text(
        self, source: str, variables: Mapping[str, Any], *, deadline: float, field: str
    ) -> Rendered[str]:
        """Render a plain text template (a header or a param value).

        >>> import time
        >>> Sandbox().render_text("{{ a }}", {}, deadline=time.monotonic() + 1, field="h").warnings
        ('undefined: a (in h)',)
        """
        if "{" not in source:  # plain text: nothing to render, skip the sandbox altogether
            return Rendered(source)
        template = self.compile_template("text", source, field=field)
        return self.render_template(template, variables, deadline=deadline, field=field)

    def compile_template(
        self,
        kind: str,
        source: str,
        *,
        field: str,
        rewrite: Callable[[str], str] | None = None,
    ) -> Template:
        """Compile (or fetch from the cache) a template; `rewrite` prepares its source first.

        >>> Sandbox().compile_template("text", "{{ a }}", field="x").render(a=1)
        '1'
        """

        def build() -> Template:
            return self.environment.from_string(rewrite(source) if rewrite else source)

        template: Template = self._cached((kind, source), build, field)
        return template

    def compile_expression(self, source: str, *, field: str) -> TemplateExpression:
        """Compile (or fetch from the cache) one expression; its result keeps its type.

        >>> Sandbox().compile_expression("a + 1", field="m")(a=1)
        2
        """

        def build() -> TemplateExpression:
            return self.environment.compile_expression(source, undefined_to_none=False)

        expression: TemplateExpression = self._cached(("expression", source), build, field)
        return expression

    def render_template(
        self, template: Template, variables: Mapping[str, Any], *, deadline: float, field: str
    ) -> Rendered[str]:
        """Render a compiled template within the deadline and the output cap.

        >>> import time
        >>> sandbox = Sandbox()
        >>> template = sandbox.compile_template("text", "{{ a }}", field="x")
        >>> sandbox.render_template(template, {"a": 1}, deadline=time.monotonic() + 1,
        ...                         field="x").value
        '1'
        """
        parts: list[str] = []
        with self._session(variables, deadline, field) as session:
            total, cap = 0, self.limits.max_output_chars
            chunks = cast(Generator[str, None, None], template.generate(variables))
            try:
                for chunk in chunks:
                    total += len(chunk)
                    _refuse_if(total > cap, "the output", cap)
                    if time.monotonic() > deadline:
                        raise _Refused(TIME_OUT)
                    parts.append(chunk)
            finally:
                chunks.close()
        return Rendered("".join(parts), self._warnings(session, field))

    def evaluate(
        self,
        expression: TemplateExpression,
        variables: Mapping[str, Any],
        *,
        deadline: float,
        field: str,
    ) -> Rendered[Any]:
        """Evaluate a compiled expression; an undefined result comes back as an `Undefined`.

        >>> import time
        >>> sandbox = Sandbox()
        >>> sandbox.evaluate(sandbox.compile_expression("[a]", field="m"), {"a": 1},
        ...                  deadline=time.monotonic() + 1, field="m").value
        [1]
        """
        with self._session(variables, deadline, field) as session:
            value = expression(dict(variables))
            if isinstance(value, Iterator | range):
                value = list(self.environment._checked_iter(value))
            self.environment.ensure_small(value, "the value", self.limits.max_output_chars)
        return Rendered(value, self._warnings(session, field))

    def ensure_small(self, value: Any, what: str) -> None:
        """Refuse (RenderError-bound) a value whose text would pass the output cap.

        >>> Sandbox().ensure_small("short", "a value")
        """
        self.environment.ensure_small(value, what, self.limits.max_output_chars)

    @contextmanager
    def _session(
        self, variables: Mapping[str, Any], deadline: float, field: str
    ) -> Iterator[_Session]:
        session = _Session(deadline)
        for key, value in variables.items():
            if isinstance(value, Mapping | list):
                session.paths[id(value)] = key
        token = _SESSION.set(session)
        try:
            _check_time()
            yield session
        except RenderError:
            raise
        except _Refused as exc:
            raise RenderError(f"{field}: {exc}", field=field) from None
        except SecurityError as exc:
            raise RenderError(f"{field}: refused by the sandbox: {exc}", field=field) from None
        except (UndefinedError, TemplateError) as exc:
            raise RenderError(f"{field}: {exc.message or exc}", field=field) from None
        except (RecursionError, MemoryError):
            raise RenderError(
                f"{field}: the template is too deep or too large", field=field
            ) from None
        except Exception as exc:
            raise RenderError(f"{field}: {type(exc).__name__}: {exc}", field=field) from None
        finally:
            _SESSION.reset(token)

    @staticmethod
    def _warnings(session: _Session, field: str) -> tuple[str, ...]:
        return tuple(f"undefined: {name} (in {field})" for name in session.undefined)

    def _cached(self, key: tuple[str, str], build: Callable[[], T], field: str) -> T:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                hit: T = self._cache[key]
                return hit
        try:
            value = build()
        except TemplateSyntaxError as exc:
            raise RenderError(f"{field}: line {exc.lineno}: {exc.message}", field=field) from None
        except _Refused as exc:
            raise RenderError(f"{field}: {exc}", field=field) from None
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self.limits.max_template_cache:
                self._cache.popitem(last=False)
        return value
