"""A body template compiled to literal chunks and lookups, rendered without the sandbox.

Most bodies (the seed article's sample among them) only place values: every tag is a one-path
placeholder (`{{ certainly.sessionId }}`, inside or outside JSON quotes), a `|tojson` of a
path, or an `{% if path is defined %}` / `{% if path %}` choosing between such parts. For
those, `plan_body` turns the rewritten body's syntax tree into a `BodyPlan` when it is
compiled; `BodyPlan.render` reads each path from plain dicts as `lookup` does and writes the
value with the very JSON writers the sandbox calls, so its text is the sandbox's, byte for
byte. Anything it cannot vouch for (a missing path to write, which warns; a value that is not
JSON data; a writer that refuses; a deadline reached) returns None, and the caller renders
the whole body in the sandbox, with its warnings, caps and errors.

When every choice of branches, with its values stood in for by JSON tokens, is valid JSON, the
plan is `proven` and a render needs no JSON check, unless a value written outside quotes may
break it (NaN from `tojson`, or nesting too deep for the parser).

    >>> import time
    >>> from hooksmith.engine.body import render_body
    >>> from hooksmith.engine.sandbox import Sandbox
    >>> render_body(Sandbox(), '{"id": {{ id }}}', {"id": "7"}, deadline=time.monotonic() + 1).value
    '{"id": "7"}'
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from jinja2 import nodes

from hooksmith.engine.budget import INLINE_SHARE

__all__ = ["BodyPlan", "Writers", "never_json", "plan_body"]

Path = tuple[str, ...]
Writer = Callable[[Any], str]
Reader = Callable[[dict[str, Any]], Any]  # the value at a path, `_UNDEFINED` or `_MISSING`

_MISSING: Final = object()  # the sandbox would not give a plain JSON value: no shortcut
_UNDEFINED: Final = object()  # the path is undefined in the sandbox, without a warning
_JSON_TYPES: Final = frozenset({dict, list, str, int, float, bool, type(None)})
_UNCHECKED: Final = frozenset({dict, list, float})  # what may write NaN or deep brackets
_RESERVED: Final = frozenset(
    {"true", "false", "none", "True", "False", "None", "self", "loop", "caller", "varargs"}
    | {"kwargs", "super"}
)
_MAX_VARIANTS = 64  # choices of branches tried when proving a plan's JSON
_MAX_PROOF_CHARS = 64 * 1024  # their text in all
_SAFE_NESTING = 200  # brackets written outside quotes below which any JSON parser copes
_STAND_IN = {"value": "null", "string": "a"}


@dataclass(frozen=True)
class Writers:
    """The sandbox's own writers: JSON string content, a JSON value, and Jinja's `tojson`."""

    in_string: Writer
    as_value: Writer
    tojson: Writer
    globals: frozenset[str]  # names the sandbox resolves when the data lacks them


@dataclass(frozen=True, slots=True)
class _Slot:
    """A placeholder: the value `read` gives through `write` (then `then`), in quotes or not."""

    read: Reader
    write: Writer
    then: Writer | None
    outside: bool  # outside quotes, where a value could break the JSON


@dataclass(frozen=True, slots=True)
class _Test:
    """An `{% if %}` test: `path is defined`, `path is undefined` or `path`, maybe negated."""

    read: Reader
    kind: str  # "defined" or "truth"
    negate: bool


@dataclass(frozen=True, slots=True)
class _Choice:
    """An `{% if %}…{% elif %}…{% else %}…{% endif %}`: one branch per test, then the else."""

    tests: tuple[_Test, ...]
    branches: tuple[tuple[_Part, ...], ...]


_Part = str | _Slot | _Choice


@dataclass(frozen=True)
class BodyPlan:
    """A straight-line body as literal chunks, placeholders and choices (see the module doc)."""

    parts: tuple[_Part, ...]
    proven: bool  # every choice of branches is valid JSON whatever values fill it
    cap: int  # the sandbox's output cap

    def render(self, variables: Mapping[str, Any], deadline: float) -> tuple[str, bool] | None:
        """The body's text and whether it still needs the JSON check, or None for the sandbox.

        The sandbox gives up at its deadline or at the end of an inline render's share of
        the event loop; so does this, by leaving the work to it.
        """
        now = time.monotonic()
        share = INLINE_SHARE.get()
        if now > deadline or (share is not None and now > share.until):
            return None
        if type(variables) is not dict:
            return None
        for key in variables:  # Jinja passes the variables as keywords
            if type(key) is not str:
                return None
        out: list[str] = []
        state = [0, False]  # brackets written outside quotes; a NaN or Infinity written
        try:
            if not self._write(self.parts, variables, out, state):
                return None
        except Exception:  # a writer refused (caps, NaN, a non-JSON object): the sandbox says how
            return None
        text = "".join(out)
        if len(text) > self.cap:
            return None
        needs_check = not self.proven or bool(state[1]) or state[0] > _SAFE_NESTING
        return text, needs_check

    def _write(
        self, parts: tuple[_Part, ...], variables: dict[str, Any], out: list[str], state: list[Any]
    ) -> bool:
        append = out.append
        for part in parts:
            kind = type(part)
            if kind is str:
                append(part)  # type: ignore[arg-type]
            elif kind is _Slot:
                slot: _Slot = part  # type: ignore[assignment]
                value = slot.read(variables)
                if value is _MISSING or value is _UNDEFINED:
                    return False  # an undefined value warns: the sandbox names it
                text = slot.write(value)
                if slot.then is not None:
                    text = slot.then(text)
                elif slot.outside and type(value) in _UNCHECKED:
                    # Brackets the JSON parser recurses into; NaN or Infinity from tojson.
                    if "[" in text or "{" in text:
                        state[0] += text.count("[") + text.count("{")
                    if "NaN" in text or "Infinity" in text:
                        state[1] = True
                append(text)
            else:
                branch = self._choose(part, variables)  # type: ignore[arg-type]
                if branch is None or not self._write(branch, variables, out, state):
                    return False
        return True

    def _choose(self, choice: _Choice, variables: dict[str, Any]) -> tuple[_Part, ...] | None:
        for test, branch in zip(choice.tests, choice.branches, strict=False):
            value = test.read(variables)
            if value is _MISSING:
                return None
            if test.kind == "defined":
                holds = value is not _UNDEFINED
            else:
                holds = value is not _UNDEFINED and bool(value)
            if holds is not test.negate:
                return branch
        return choice.branches[-1]


def plan_body(
    tree: nodes.Template, writers: Writers, *, cap: int, check: Callable[[str], Any]
) -> BodyPlan | None:
    """The plan of a rewritten body's syntax tree, or None when a tag is not a plain placement.

    `check` raises on text that is not JSON (the body's own check), to prove the plan.
    """
    try:
        parts = _parts(tree.body, writers)
    except _NotPlain:
        return None
    return BodyPlan(parts, _proven(parts, check), cap)


class _NotPlain(Exception):
    """A node the plan does not render: the sandbox renders the body."""


def _parts(body: list[nodes.Node], writers: Writers) -> tuple[_Part, ...]:
    parts: list[_Part] = []
    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    last = parts[-1] if parts else None
                    if type(last) is str:
                        parts[-1] = last + child.data
                    else:
                        parts.append(child.data)
                else:
                    parts.append(_slot(child, writers))
        elif isinstance(node, nodes.If):
            tests = [_test(node.test, writers)]
            branches = [_parts(node.body, writers)]
            for elif_ in node.elif_:
                tests.append(_test(elif_.test, writers))
                branches.append(_parts(elif_.body, writers))
            branches.append(_parts(node.else_, writers))
            parts.append(_Choice(tuple(tests), tuple(branches)))
        else:
            raise _NotPlain
    return tuple(part for part in parts if part != "")


def _slot(node: nodes.Node, writers: Writers) -> _Slot:
    if _plain_filter(node, "_hs_json_in_string") or _plain_filter(node, "_hs_json_value"):
        assert isinstance(node, nodes.Filter)
        inside = node.name == "_hs_json_in_string"
        outer = writers.in_string if inside else writers.as_value
        inner = node.node
        if _plain_filter(inner, "tojson"):
            assert isinstance(inner, nodes.Filter)
            return _Slot(_path(inner.node, writers), writers.tojson, outer, not inside)
        return _Slot(_path(inner, writers), outer, None, not inside)
    if _plain_filter(node, "tojson"):
        assert isinstance(node, nodes.Filter)
        return _Slot(_path(node.node, writers), writers.tojson, None, True)
    raise _NotPlain


def _plain_filter(node: nodes.Node | None, name: str) -> bool:
    return (
        isinstance(node, nodes.Filter)
        and node.name == name
        and not node.args
        and not node.kwargs
        and node.dyn_args is None
        and node.dyn_kwargs is None
    )


def _test(node: nodes.Node, writers: Writers) -> _Test:
    negate = False
    if isinstance(node, nodes.Not):
        negate, node = True, node.node
    if isinstance(node, nodes.Test):
        if node.args or node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise _NotPlain
        if node.name not in ("defined", "undefined"):
            raise _NotPlain
        undefined = node.name == "undefined"
        return _Test(_path(node.node, writers), "defined", negate != undefined)
    return _Test(_path(node, writers), "truth", negate)


def _path(node: nodes.Node | None, writers: Writers) -> Reader:
    """The reader of a `name.key.key` path; anything else is not a plain placement."""
    keys: list[str] = []
    while isinstance(node, nodes.Getattr):
        keys.append(node.attr)
        node = node.node
    if not isinstance(node, nodes.Name) or node.ctx != "load" or node.name in _RESERVED:
        raise _NotPlain
    keys.append(node.name)
    if any(key.startswith("_") for key in keys):
        raise _NotPlain  # the sandbox refuses these, even past an undefined value
    return _reader(tuple(reversed(keys)), writers.globals)


def _reader(path: Path, names: frozenset[str]) -> Reader:
    """Read `path` from plain dicts as the sandbox would, or say why not (`_MISSING`).

    Where the data lacks a key the sandbox finds a global (at the root) or a dict method (below
    it): there the reader gives up; elsewhere the value is undefined.
    """
    root, rest = path[0], path[1:]
    root_absent = _MISSING if root in names else _UNDEFINED
    steps = tuple((key, _MISSING if hasattr(dict, key) else _UNDEFINED) for key in rest)
    if len(steps) == 1:  # `certainly.sessionId`, the commonest: one step, unrolled
        ((key, key_absent),) = steps

        def read_pair(variables: dict[str, Any]) -> Any:
            parent = variables.get(root, _MISSING)
            if parent is _MISSING:
                return root_absent
            if type(parent) is not dict:
                return _MISSING
            value = parent.get(key, _MISSING)
            if value is _MISSING:
                return key_absent
            return value if type(value) in _JSON_TYPES else _MISSING

        return read_pair

    def read_path(variables: dict[str, Any]) -> Any:
        data = variables.get(root, _MISSING)
        if data is _MISSING:
            return root_absent
        for key, key_absent in steps:
            if type(data) is not dict:
                return _MISSING
            value = data.get(key, _MISSING)
            if value is _MISSING:
                return key_absent
            data = value
        return data if type(data) in _JSON_TYPES else _MISSING

    return read_path


def _proven(parts: tuple[_Part, ...], check: Callable[[str], Any]) -> bool:
    """Whether every choice of branches is JSON with its placeholders stood in for by tokens.

    A `null` outside quotes that parses is a whole value where any JSON value may stand, and an
    `a` inside quotes that parses is string content where any escaped content may stand.
    """
    if _count(parts) > _MAX_VARIANTS:
        return False
    total = 0
    for text in _variants(parts):
        total += len(text)
        if total > _MAX_PROOF_CHARS:
            return False
        try:
            check(text)
        except Exception:
            return False
    return True


def never_json(plan: BodyPlan, check: Callable[[str], Any]) -> Exception | None:
    """Why the body can never be JSON, whatever data fills it: the error of its first choice of
    branches when no choice parses with its placeholders stood in for by tokens, else None.

    Only a plan with few choices is judged; a stand-in that parses may still be refused by a
    real value, but one that does not parse fails for every value of its kind.
    """
    if plan.proven or _count(plan.parts) > _MAX_VARIANTS:
        return None
    first: Exception | None = None
    total = 0
    for text in _variants(plan.parts):
        total += len(text)
        if total > _MAX_PROOF_CHARS:
            return None
        try:
            check(text)
        except Exception as error:
            first = first or error
            continue
        return None
    return first


def _count(parts: tuple[_Part, ...]) -> int:
    count = 1
    for part in parts:
        if type(part) is _Choice:
            count *= sum(_count(branch) for branch in part.branches)
            if count > _MAX_VARIANTS:
                break
    return count


def _variants(parts: tuple[_Part, ...]) -> Iterator[str]:
    options: list[list[str]] = []
    for part in parts:
        if type(part) is str:
            options.append([part])
        elif type(part) is _Slot:
            options.append([_STAND_IN["value" if part.outside else "string"]])
        else:
            assert type(part) is _Choice
            options.append([text for branch in part.branches for text in _variants(branch)])
    for chosen in itertools.product(*options):
        yield "".join(chosen)
