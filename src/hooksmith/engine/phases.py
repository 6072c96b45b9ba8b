"""The template work of one execution, the same inline or in a renderer process.

Two phases: the request (URL, params, headers, body: `request.prepare`) and the reading of the
answer (the success condition and the Response Mappers), here. Both are pure functions of
the definition and the data, so the engine may run them on the event loop or in a renderer
process and get the same result.

    >>> import time
    >>> from hooksmith.engine.sandbox import Sandbox
    >>> reading = read_answer(Sandbox(), ["response.id"], None, {"response": {"id": 7}},
    ...                       deadline=time.monotonic() + 1)
    >>> reading.outcomes[0].value
    7
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hooksmith.engine.condition import holds
from hooksmith.engine.errors import MappingError
from hooksmith.engine.lookup import MISSING, path_of, read
from hooksmith.engine.mapping import MapperOutcome, evaluate_mapper
from hooksmith.engine.sandbox import Sandbox


@dataclass(frozen=True)
class Reading:
    """The success condition's verdict (None when not checked) and each mapper's outcome.

    A mapper that does not compile is its `MappingError`.
    """

    condition: tuple[bool, str | None] | None
    outcomes: tuple[MapperOutcome | MappingError, ...]


def read_answer(
    sandbox: Sandbox,
    mappers: Sequence[str],
    condition: str | None,
    scope: Mapping[str, Any],
    *,
    deadline: float,
) -> Reading:
    """Check `condition` (when given) and evaluate every mapper in `scope`."""
    verdict = holds(sandbox, condition, scope, deadline=deadline) if condition else None
    outcomes: list[MapperOutcome | MappingError] = []
    cap = sandbox.limits.max_output_chars
    for mapper in mappers:
        # A plain path to a JSON leaf reads what the sandbox would give, without it.
        value = read(path_of(mapper), scope, cap=cap)
        if value is not MISSING:
            outcomes.append(MapperOutcome(value, True, None))
            continue
        try:
            outcomes.append(evaluate_mapper(sandbox, mapper, scope, deadline=deadline))
        except MappingError as error:
            outcomes.append(error)
    return Reading(verdict, tuple(outcomes))
