"""W3C Trace Context: the bot's `traceparent` and `tracestate`, passed on to the upstream.

A caller that traces its requests sends `traceparent: 00-<trace-id>-<parent-id>-<flags>`. The
webhook's request to the upstream is a new span of the same trace: same trace-id, a new
parent-id (this request's span id), the flags kept, and `tracestate` passed on unchanged. A
header that breaks the rules of the specification is ignored, never an error: the execution
goes on without a trace.

>>> bot = TraceContext.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "a=1")
>>> span = bot.child()
>>> (span.trace_id == bot.trace_id, span.parent_id != bot.parent_id, span.flags, span.state)
(True, True, '01', 'a=1')
>>> TraceContext.parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01") is None
True
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Final

TRACEPARENT: Final = "traceparent"
TRACESTATE: Final = "tracestate"

_HEX = "[0-9a-f]"
_VERSION_00 = re.compile(rf"00-({_HEX}{{32}})-({_HEX}{{16}})-({_HEX}{{2}})")
# A later version keeps these four fields first and may add more after a dash.
_LATER_VERSION = re.compile(rf"({_HEX}{{2}})-({_HEX}{{32}})-({_HEX}{{16}})-({_HEX}{{2}})(?:-.*)?")
_NO_TRACE = "0" * 32
_NO_SPAN = "0" * 16
# tracestate: at most 32 list members `key=value`, the whole at most 512 characters.
_STATE_KEY = r"(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})"
_STATE_VALUE = r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]"
_STATE_MEMBER = re.compile(rf"{_STATE_KEY}={_STATE_VALUE}")
MAX_STATE_LENGTH: Final = 512
MAX_STATE_MEMBERS: Final = 32


@dataclass(frozen=True, slots=True)
class TraceContext:
    """A span of a W3C trace: its trace id, its span (parent) id, flags and vendor state."""

    trace_id: str
    parent_id: str
    flags: str
    state: str | None = None

    @classmethod
    def parse(cls, traceparent: str | None, tracestate: str | None = None) -> TraceContext | None:
        """The trace of these header values, or None when `traceparent` is missing or invalid
        (a `tracestate` that is invalid is dropped on its own)."""
        if traceparent is None:
            return None
        text = traceparent.strip(" \t")
        match = _VERSION_00.fullmatch(text)
        if match is not None:
            trace_id, parent_id, flags = match.groups()
        else:
            later = _LATER_VERSION.fullmatch(text)
            if later is None or later[1] in {"00", "ff"}:
                return None
            trace_id, parent_id, flags = later[2], later[3], later[4]
        if trace_id == _NO_TRACE or parent_id == _NO_SPAN:
            return None
        return cls(trace_id, parent_id, flags, _valid_state(tracestate))

    def child(self) -> TraceContext:
        """A new span of the same trace, with this one's flags and state."""
        # A span id must be unique, not secret: Python's generator (seeded from the system's,
        # again in every forked process) costs a quarter of `os.urandom`.
        span = random.getrandbits(64) or 1
        return TraceContext(self.trace_id, f"{span:016x}", self.flags, self.state)

    @property
    def traceparent(self) -> str:
        """The `traceparent` header value of this span (version 00)."""
        return f"00-{self.trace_id}-{self.parent_id}-{self.flags}"

    def headers(self, taken: frozenset[str] = frozenset()) -> tuple[tuple[str, str], ...]:
        """`traceparent` (and `tracestate`), leaving out any name in `taken` (lower case): a
        webhook that sets `traceparent` itself sends its own and none of the trace's."""
        if TRACEPARENT in taken:
            return ()
        if self.state is None or TRACESTATE in taken:
            return ((TRACEPARENT, self.traceparent),)
        return ((TRACEPARENT, self.traceparent), (TRACESTATE, self.state))


def _valid_state(tracestate: str | None) -> str | None:
    """The `tracestate` list as received, or None when it is empty or breaks the rules."""
    if tracestate is None or len(tracestate) > MAX_STATE_LENGTH:
        return None
    members = [member.strip(" \t") for member in tracestate.split(",")]
    members = [member for member in members if member]
    if not members or len(members) > MAX_STATE_MEMBERS:
        return None
    keys = set()
    for member in members:
        if _STATE_MEMBER.fullmatch(member) is None:
            return None
        keys.add(member.split("=", 1)[0])
    if len(keys) != len(members):
        return None  # a key may appear only once
    return ",".join(members)
