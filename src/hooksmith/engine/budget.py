"""The state of one render: its deadline, its loop budget and the undefined names it met.

The sandbox opens a `RenderBudget` for each render or evaluation; the environment's hooks
read it to stop at the deadline, count loop iterations and name an undefined value by the
path it was reached through (`certainly.replyData`), which becomes a warning.

    >>> budget = RenderBudget(deadline=float("inf"), variables={"certainly": {}})
    >>> budget.path_of({}) is None
    True
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from jinja2 import ChainableUndefined, Undefined

from hooksmith.engine.caps import Refused
from hooksmith.engine.triage import OverBudget

TIME_OUT = "rendering took longer than the webhook's time-out"
_MAX_DEPTH = 256  # a longer parent chain is not named (JSON data is never that deep)
_monotonic = time.monotonic


class RenderBudget:
    """One render's deadline, loop count, undefined names and the parents of the values read."""

    __slots__ = (
        "_parents",
        "_roots",
        "deadline",
        "iterations",
        "limit",
        "share",
        "undefined",
        "variables",
    )

    def __init__(self, deadline: float, variables: Mapping[str, Any]) -> None:
        # `deadline` is when this render stops; `limit` the webhook's own deadline, which is
        # later when an inline render has only a share of the event loop (`INLINE_SHARE`).
        self.limit = deadline
        share = self.share = INLINE_SHARE.get()
        self.deadline = deadline if share is None or share.until > deadline else share.until
        self.variables = variables
        self.iterations = 0
        self.undefined: dict[str, None] = {}
        # id(child) -> (parent, key) for each container read through an attribute or item;
        # the parent is kept alive so its id is not reused while the render lasts.
        self._parents: dict[int, tuple[Any, Any]] = {}
        self._roots: dict[int, str] | None = None  # built on the first undefined child only

    def check_time(self) -> None:
        if _monotonic() > self.deadline:
            self.time_up()

    def time_up(self) -> None:
        """Stop the render: past the webhook's deadline, or past an inline render's share.

        The share is CPU time of this thread: time the machine gave to other processes
        (a busy machine preempts any thread) is given back rather than counted.
        """
        now = _monotonic()
        if now > self.limit:
            raise Refused(TIME_OUT)
        share = self.share
        left = share.cpu_left() if share is not None else 0.0
        if left <= 0:
            raise OverBudget("the render goes on in a renderer process")
        assert share is not None
        share.until = now + left
        self.deadline = min(self.limit, share.until)

    def note_child(self, parent: Any, key: Any, value: Any) -> None:
        """Remember that container `value` was read as `parent[key]`, to name it later."""
        self._parents[id(value)] = (parent, key)

    def path_of(self, value: Any) -> str | None:
        """The path `value` was reached through from a top-level variable, or None."""
        keys: list[Any] = []
        current = value
        for _ in range(_MAX_DEPTH):
            edge = self._parents.get(id(current))
            if edge is None:
                break
            current, key = edge
            keys.append(key)
        else:
            return None
        if self._roots is None:
            self._roots = {
                id(item): name
                for name, item in self.variables.items()
                if isinstance(item, Mapping | list)
            }
        path = self._roots.get(id(current))
        if path is None:
            return None
        for key in reversed(keys):
            path = child_name(path, key)
        return path


BUDGET: ContextVar[RenderBudget | None] = ContextVar("hooksmith_render_budget", default=None)


class InlineShare:
    """How long the inline renders of one phase may hold the event loop (`triage.OverBudget`):
    `until` on the monotonic clock, checked often and cheaply, and `cpu_until` on this thread's
    CPU clock, which decides."""

    __slots__ = ("cpu_until", "until")

    def __init__(self, seconds: float) -> None:
        self.until = _monotonic() + seconds
        self.cpu_until = time.thread_time() + seconds

    def cpu_left(self) -> float:
        return self.cpu_until - time.thread_time()

    def give_back(self, wall: float, cpu: float) -> None:
        """Do not count work done meanwhile (a first compile) against the share."""
        self.until += wall
        self.cpu_until += cpu


# Set by the engine around inline renders; a first compile moves `until` by its own time,
# which `triage.fits_inline` bounds on its own.
INLINE_SHARE: ContextVar[InlineShare | None] = ContextVar("hooksmith_inline_share", default=None)


def check_time() -> None:
    """Refuse to go on once the current render's deadline has passed."""
    budget = BUDGET.get()
    if budget is not None and _monotonic() > budget.deadline:
        budget.time_up()


def undefined_path(value: Undefined) -> str:
    """The dotted name an undefined value stands for, e.g. `certainly.sessionId`.

    >>> undefined_path(TrackedUndefined(name="userName"))
    'userName'
    """
    name = value._undefined_name
    return name if isinstance(name, str) else "?"


def child_name(parent: str | None, key: Any) -> str:
    """The path of `parent[key]`: `a.b` for a string key, `a[0]` otherwise.

    >>> child_name("a", "b"), child_name("a", 0), child_name(None, "b")
    ('a.b', 'a[0]', 'b')
    """
    text = key if isinstance(key, str) else repr(key)
    if parent is None:
        return text
    return f"{parent}.{key}" if isinstance(key, str) else f"{parent}[{text}]"


class TrackedUndefined(ChainableUndefined):
    """Renders empty, chains (`a.b.c`), and records its name when it is rendered or iterated."""

    __slots__ = ()

    def _note(self) -> None:
        budget = BUDGET.get()
        if budget is not None:
            budget.undefined[undefined_path(self)] = None

    def __str__(self) -> str:
        self._note()
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._note()
        yield from ()

    def __len__(self) -> int:
        self._note()
        return 0

    def __getattr__(self, name: str) -> TrackedUndefined:
        if name[:1] == "_":
            raise AttributeError(name)
        return TrackedUndefined(name=f"{undefined_path(self)}.{name}")

    def __getitem__(self, key: Any) -> TrackedUndefined:  # type: ignore[override]
        return TrackedUndefined(name=child_name(undefined_path(self), key))
