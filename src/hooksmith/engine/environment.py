"""The hardened Jinja2 environment behind `Sandbox` (docs/design.md#rendering).

Jinja2's immutable sandbox without `lipsum`/`cycler`/`joiner`, whose every attribute read,
item read, call, operator, filter, loop and `range` checks the render's deadline and the size
caps (`caps`) before it runs, and names undefined values by their path (`budget`).

    >>> HardenedEnvironment(Limits()).from_string("{{ 6 * 7 }}").render()
    '42'
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from functools import update_wrapper
from typing import Any

from jinja2 import Template, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from hooksmith.engine.budget import (
    BUDGET,
    RenderBudget,
    TrackedUndefined,
    check_time,
    child_name,
    undefined_path,
)
from hooksmith.engine.caps import (
    CappedEscapeFormatter,
    CappedFormatter,
    Limits,
    Refused,
    check_binop,
    check_filter,
    check_result,
    check_text_method,
    ensure_small,
    refuse_if,
)

LOOP_FILTER = "_hs_loop"
CONCAT_FILTER = "_hs_concat"
_monotonic = time.monotonic
_NO_KEY = object()


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


class SandboxTemplate(Template):
    """A compiled template, with the shortcut derived from its syntax tree when it has one."""

    shortcut: object = None


class HardenedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with size caps, a deadline and recorded undefined names."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    template_class = SandboxTemplate

    def __init__(self, limits: Limits) -> None:
        super().__init__(autoescape=False, undefined=TrackedUndefined)
        self.limits = limits
        self.finalize = self._finalize
        for name in ("lipsum", "cycler", "joiner"):
            self.globals.pop(name, None)
        self.globals["range"] = self._range
        self.filters = {name: self._guard_filter(name, f) for name, f in self.filters.items()}
        self.filters[LOOP_FILTER] = self._loop
        self.filters[CONCAT_FILTER] = self._concat

    # -- compiling ---------------------------------------------------------------------------
    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        # A plain dict, not Jinja's ChainMap over the environment's globals: every render
        # copies a template's globals into its context, and a ChainMap is slow to copy. The
        # globals are fixed in __init__, before any template is compiled.
        return {**self.globals, **(d or {})}

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
        ensure_small(value, what, self.limits.max_string if cap is None else cap)

    def _finalize(self, value: Any) -> Any:
        cap = self.limits.max_output_chars
        if isinstance(value, str):
            refuse_if(len(value) > cap, "an output", cap)
        elif not isinstance(value, Undefined):
            ensure_small(value, "an output", cap)
        return value

    def concat(self, parts: Any) -> str:
        """Join buffered output (set blocks, macros) only while it stays under the cap."""
        total, kept, cap = 0, [], self.limits.max_output_chars
        for part in parts:
            total += len(part)
            refuse_if(total > cap, "an output", cap)
            kept.append(part)
        return "".join(kept)

    def _concat(self, values: list[Any]) -> str:
        texts, total, cap = [], 0, self.limits.max_string
        for value in values:
            ensure_small(value, "a ~ concatenation", cap)
            text = str(value)
            total += len(text)
            refuse_if(total > cap, "a ~ concatenation", cap)
            texts.append(text)
        return "".join(texts)

    def _loop(self, value: Any) -> Any:
        if isinstance(value, Undefined):
            return value
        return self.checked_iter(value)

    def checked_iter(self, value: Iterable[Any]) -> Iterator[Any]:
        """Iterate `value`, counting against the render's loop budget and checking the time."""
        budget, allowed = BUDGET.get(), self.limits.max_loop_iterations
        for index, item in enumerate(value):
            if budget is not None:
                budget.iterations += 1
                if budget.iterations > allowed:
                    raise Refused(f"loops are limited to {allowed:,} iterations in all")
            if index % 64 == 0:
                check_time()
            yield item

    def _range(self, *args: int) -> range:
        check_time()
        result = range(*args)
        if len(result) > self.limits.max_range:
            raise Refused(f"range() is limited to {self.limits.max_range:,} items")
        return result

    # -- operators ----------------------------------------------------------------------------
    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_time()
        cap = self.limits.max_string
        check_binop(operator, left, right, cap)
        result = super().call_binop(context, operator, left, right)
        check_result(result, cap)
        return result

    # -- attributes and calls ------------------------------------------------------------------
    def _child(self, budget: RenderBudget | None, obj: Any, key: Any, value: Any) -> Any:
        """Name an undefined child by its path; remember where a container child came from."""
        cls = type(value)
        if cls is str or cls is int:
            return value
        if isinstance(value, Undefined):
            parent = budget.path_of(obj) if budget is not None else None
            return self.undefined(name=child_name(parent, key))
        if budget is not None and (cls is dict or cls is list or isinstance(value, Mapping | list)):
            budget.note_child(obj, key, value)
        return value

    def getattr(self, obj: Any, attribute: str) -> Any:
        budget = BUDGET.get()
        if budget is not None and _monotonic() > budget.deadline:
            budget.time_up()
        if isinstance(obj, Undefined):
            if attribute.startswith("_"):
                raise SecurityError(f"access to attribute {attribute!r} is unsafe")
            return self.undefined(name=child_name(undefined_path(obj), attribute))
        # On JSON data a key wins over a dict method (`response.items` reads the key).
        if type(obj) is dict:
            value = obj.get(attribute, _NO_KEY)
            if value is not _NO_KEY:
                cls = type(value)
                if cls is str or cls is int:  # a leaf: nothing to name or remember
                    return value
                return self._child(budget, obj, attribute, value)
        elif isinstance(obj, Mapping):
            try:
                return self._child(budget, obj, attribute, obj[attribute])
            except (KeyError, TypeError):
                pass
        return self._child(budget, obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        budget = BUDGET.get()
        if budget is not None and _monotonic() > budget.deadline:
            budget.time_up()
        if isinstance(obj, Undefined):
            if isinstance(argument, str) and argument.startswith("_"):
                raise SecurityError(f"access to attribute {argument!r} is unsafe")
            return self.undefined(name=child_name(undefined_path(obj), argument))
        return self._child(budget, obj, argument, super().getitem(obj, argument))

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
            formatter: CappedFormatter
            if isinstance(owner, Markup):
                formatter = CappedEscapeFormatter(self, cap, escape=owner.escape)
            else:
                formatter = CappedFormatter(self, cap)
            return type(owner)(formatter.vformat(owner, args, kwargs))

        return update_wrapper(wrapper, value)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        check_time()
        cap = self.limits.max_string
        obj = self.wrap_str_format(obj) or obj
        owner = getattr(obj, "__self__", None)
        if isinstance(obj, types.BuiltinMethodType) and isinstance(owner, str | bytes):
            args = check_text_method(owner, obj.__name__, args, kwargs, cap, self.checked_iter)
        result = super().call(context, obj, *args, **kwargs)
        check_result(result, cap)
        return result

    # -- filters ------------------------------------------------------------------------------
    def _guard_filter(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        offset = 1 if hasattr(func, "jinja_pass_arg") else 0
        limits, iterate = self.limits, self.checked_iter

        def guarded(*args: Any, **kwargs: Any) -> Any:
            check_time()
            args = check_filter(name, offset, args, kwargs, limits, iterate)
            result = func(*args, **kwargs)
            check_result(result, limits.max_string)
            return result

        return update_wrapper(guarded, func)
