"""The hardened Jinja2 sandbox every template and mapper runs in (docs/design.md#rendering).

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

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from jinja2 import Template, TemplateSyntaxError, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError

from hooksmith.engine.budget import BUDGET, INLINE_SHARE, RenderBudget, undefined_path
from hooksmith.engine.caps import Limits, Refused, ensure_small, refuse_if
from hooksmith.engine.environment import HardenedEnvironment, SandboxTemplate
from hooksmith.engine.errors import RenderError
from hooksmith.engine.triage import (
    HERE,
    RENDERERS,
    CompileFirst,
    NotInline,
    check_nesting,
    compile_place,
    straight_line,
)

__all__ = ["Limits", "Rendered", "Sandbox", "undefined_path"]

T = TypeVar("T")

_CHUNKS_PER_TIME_CHECK = 32  # every operation checks the deadline too; this bounds plain text


@dataclass(frozen=True)
class Rendered(Generic[T]):
    """A rendered value with the warnings (undefined names) collected while rendering it."""

    value: T
    warnings: tuple[str, ...] = ()


class Sandbox:
    """Jinja2 ImmutableSandboxedEnvironment, hardened; one per process; caches compiled templates.

    >>> import time
    >>> Sandbox().render_text("{{ 6 * 7 }}", {}, deadline=time.monotonic() + 1, field="x").value
    '42'
    """

    def __init__(self, limits: Limits | None = None, *, inline_only: bool = False) -> None:
        self.limits = limits or Limits()
        self.environment = HardenedEnvironment(self.limits)
        # The event loop's sandbox compiles straight-line templates only: for any other it
        # raises `NotInline`, and the work goes to a renderer process (`renderers`).
        self.inline_only = inline_only
        self._cache: OrderedDict[tuple[str, str], Any] = OrderedDict()
        # Request plans by webhook object (engine/request.py), built beside the templates.
        self.plans: OrderedDict[int, Any] = OrderedDict()
        self._lock = threading.Lock()

    def add_writers(self, writers: Mapping[str, Callable[[Any], str]]) -> None:
        """Register the engine's own output writers (JSON, URL encoders) as filters.

        The body and URL rewrites route each placeholder through one of them (`{{ (x)|w }}`);
        they bound what they write themselves. Registering the same names again is a no-op.

        >>> Sandbox().add_writers({"_hs_upper": str.upper})
        """
        filters = self.environment.filters
        for name, writer in writers.items():
            filters.setdefault(name, writer)

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
        rewrite: Callable[[HardenedEnvironment, str], str] | None = None,
        shortcut: Callable[[Sandbox, nodes.Template], object] | None = None,
    ) -> SandboxTemplate:
        """Compile (or fetch from the cache) a template; `rewrite(environment, source)` prepares
        its source first, and `shortcut(sandbox, tree)` derives from its syntax tree what the
        template keeps as `.shortcut`. Both are plain functions: no closure per render.

        >>> Sandbox().compile_template("text", "{{ a }}", field="x").render(a=1)
        '1'
        """

        def build() -> SandboxTemplate:
            environment = self.environment
            parsed = environment.parse(rewrite(environment, source) if rewrite else source)
            if self.inline_only and not straight_line(parsed):
                return cast(SandboxTemplate, _NOT_INLINE)
            derived = shortcut(self, parsed) if shortcut else None  # before compiling rewrites it
            code = environment.compile(parsed)
            template = environment.template_class.from_code(
                environment, code, environment.make_globals(None), None
            )
            template = cast(SandboxTemplate, template)
            template.shortcut = derived
            return template

        template: SandboxTemplate = self._cached((kind, source), build, field)
        return template

    def compile_expression(self, source: str, *, field: str) -> TemplateExpression:
        """Compile (or fetch from the cache) one expression; its result keeps its type.

        >>> Sandbox().compile_expression("a + 1", field="m")(a=1)
        2
        """

        def build() -> TemplateExpression:
            environment = self.environment
            if self.inline_only:
                parsed = environment.parse("{{ " + source + " }}")
                if not straight_line(parsed):
                    return cast(TemplateExpression, _NOT_INLINE)
            return environment.compile_expression(source, undefined_to_none=False)

        key = ("expression", source)
        expression: TemplateExpression = self._cached(key, build, field, "{{ " + source + " }}")
        return expression

    def render_template(
        self,
        template: Template,
        variables: Mapping[str, Any],
        *,
        deadline: float,
        field: str,
    ) -> Rendered[str]:
        """Render a compiled template within the deadline and the output cap.

        >>> import time
        >>> sandbox = Sandbox()
        >>> template = sandbox.compile_template("text", "{{ a }}", field="x")
        >>> sandbox.render_template(template, {"a": 1}, deadline=time.monotonic() + 1,
        ...                         field="x").value
        '1'
        """
        budget = RenderBudget(deadline, variables)
        token = BUDGET.set(budget)
        parts: list[str] = []
        try:
            budget.check_time()
            context = template.new_context(_plain_dict(variables))
            chunks = cast(Generator[str, None, None], template.root_render_func(context))
            try:
                total, cap, countdown = 0, self.limits.max_output_chars, _CHUNKS_PER_TIME_CHECK
                for chunk in chunks:
                    total += len(chunk)
                    if total > cap:
                        refuse_if(True, "the output", cap)
                    parts.append(chunk)
                    countdown -= 1
                    if not countdown:
                        budget.check_time()
                        countdown = _CHUNKS_PER_TIME_CHECK
            finally:
                chunks.close()
            budget.check_time()
        except (RenderError, NotInline):
            raise
        except Exception as exc:
            raise _render_error(exc, field) from None
        finally:
            BUDGET.reset(token)
        return Rendered("".join(parts), _warnings(budget, field))

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
        budget = RenderBudget(deadline, variables)
        token = BUDGET.set(budget)
        try:
            budget.check_time()
            # What TemplateExpression.__call__ does, without copying the variables twice.
            template = expression._template
            context = template.new_context(_plain_dict(variables))
            for _ in template.root_render_func(context):
                pass
            value = context.vars["result"]
            if isinstance(value, Iterator | range):
                value = list(self.environment.checked_iter(value))
            ensure_small(value, "the value", self.limits.max_output_chars)
        except (RenderError, NotInline):
            raise
        except Exception as exc:
            raise _render_error(exc, field) from None
        finally:
            BUDGET.reset(token)
        return Rendered(value, _warnings(budget, field))

    def ensure_small(self, value: Any, what: str) -> None:
        """Refuse (RenderError-bound) a value whose text would pass the output cap.

        >>> Sandbox().ensure_small("short", "a value")
        """
        ensure_small(value, what, self.limits.max_output_chars)

    def _cached(
        self, key: tuple[str, str], build: Callable[[], T], field: str, text: str | None = None
    ) -> T:
        """The cached value of `key`, else `build()` turned into a RenderError on failure.

        The source's nesting is checked before it is parsed. The event loop's sandbox
        (`inline_only`) compiles small sources at once, asks for middling ones to be compiled
        in a thread first (`CompileFirst`) and leaves large or not straight-line ones to the
        renderer processes (`NotInline`); it caches each verdict, failures included.
        """
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                hit: Any = self._cache[key]
                if hit is _NOT_INLINE:
                    raise NotInline(field)
                if type(hit) is _Failed:
                    raise RenderError(f"{field}: {hit.reason}", field=field)
                found: T = hit
                return found
        source = key[1] if text is None else text
        if not self.inline_only:
            return self._built(key, build, field, source)
        place = compile_place(source)
        if place == RENDERERS:
            self._remember(key, _NOT_INLINE)
            raise NotInline(field)
        if place != HERE:

            def compile_beside() -> None:
                with contextlib.suppress(RenderError, NotInline):
                    self._built(key, build, field, source)

            raise CompileFirst(field, compile_beside)
        started, cpu_started = time.monotonic(), time.thread_time()
        try:
            return self._built(key, build, field, source)
        finally:
            share = INLINE_SHARE.get()
            if share is not None:  # the compile does not count against the render's share
                share.give_back(time.monotonic() - started, time.thread_time() - cpu_started)

    def _built(self, key: tuple[str, str], build: Callable[[], T], field: str, source: str) -> T:
        """`build()` after the nesting check, cached; a failure becomes a RenderError."""
        reason: str | None = None
        try:
            check_nesting(self.environment, source)
        except ValueError as exc:
            reason = str(exc)
        except TemplateSyntaxError:
            pass  # reported with its line by the compile below
        if reason is None:
            try:
                value = build()
            except TemplateSyntaxError as exc:
                reason = f"line {exc.lineno}: {exc.message}"
            except RenderError as exc:  # from a rewrite (a placeholder where none may stand)
                reason = exc.message.removeprefix(f"{field}: ")
            except Refused as exc:
                reason = str(exc)
            except (RecursionError, MemoryError, SyntaxError):
                reason = "the template is too deep or too large to compile"
        if reason is not None:
            if self.inline_only:
                self._remember(key, _Failed(reason))
            raise RenderError(f"{field}: {reason}", field=field)
        self._remember(key, value)
        if value is _NOT_INLINE:
            raise NotInline(field)
        return value

    def _remember(self, key: tuple[str, str], value: Any) -> None:
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self.limits.max_template_cache:
                self._cache.popitem(last=False)


class _Failed:
    """A source that does not compile, remembered by the event loop's sandbox."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


_NOT_INLINE = object()  # the cached verdict of a source that renders in the pool


def _render_error(exc: Exception, field: str) -> RenderError:
    """The render error a failure inside a template becomes; nothing of the escape leaks."""
    if isinstance(exc, Refused):
        return RenderError(f"{field}: {exc}", field=field)
    if isinstance(exc, SecurityError):
        return RenderError(f"{field}: refused by the sandbox: {exc}", field=field)
    if isinstance(exc, UndefinedError | TemplateError):
        return RenderError(f"{field}: {exc.message or exc}", field=field)
    if isinstance(exc, MemoryError):
        return RenderError(f"{field}: the template needs more memory than allowed", field=field)
    if isinstance(exc, RecursionError):
        return RenderError(f"{field}: the template is too deep or too large", field=field)
    return RenderError(f"{field}: {type(exc).__name__}: {exc}", field=field)


def _plain_dict(variables: Mapping[str, Any]) -> dict[str, Any]:
    # Jinja copies the variables into a fresh context (`dict(globals, **vars)`), so any
    # mapping serves; a copy made here would be a second one.
    return cast(dict[str, Any], variables)


def _warnings(budget: RenderBudget, field: str) -> tuple[str, ...]:
    if not budget.undefined:
        return ()
    return tuple(f"undefined: {name} (in {field})" for name in budget.undefined)
