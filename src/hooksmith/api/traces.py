"""The bot's W3C trace context, read from the headers of its execute request.

Two `traceparent` headers make no trace (the specification says so); several `tracestate`
headers are one list, joined with commas. A header that breaks the rules is ignored: the
execute goes on without a trace, never fails for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from hooksmith.engine import TraceContext

TRACEPARENT: Final = b"traceparent"
TRACESTATE: Final = b"tracestate"


def trace_of(headers: Iterable[tuple[bytes, bytes]]) -> TraceContext | None:
    """The trace of an ASGI request's headers, or None.

    >>> parent = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    >>> trace_of([(b"traceparent", parent), (b"tracestate", b"a=1"), (b"tracestate", b"b=2")])
    TraceContext(trace_id='4bf9...', parent_id='00f067aa0ba902b7', flags='01', state='a=1,b=2')
    >>> trace_of([(b"traceparent", parent), (b"traceparent", parent)]) is None
    True
    """
    parent: bytes | None = None
    state: list[bytes] = []
    for name, value in headers:
        if name == TRACEPARENT:
            if parent is not None:
                return None
            parent = value
        elif name == TRACESTATE:
            state.append(value)
    if parent is None:
        return None
    return TraceContext.parse(
        parent.decode("latin-1"), b",".join(state).decode("latin-1") if state else None
    )
