"""What the API and the pages share: the FastAPI dependencies (the runtime, one unit of work on
the database, `db`, per request, the bounds of an id or an offset in a path or query) and the
one table from the service's and the engine's errors to HTTP statuses.

`api` and `web` may not import each other; this layer sits between them and `service`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import InvalidDefinition
from hooksmith.service import errors as service
from hooksmith.service.runtime import Runtime
from hooksmith.store import MAX_ID


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_db(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A unit of work on the database (`db`) for one request; what it did not commit is rolled
    back."""
    async with runtime.open_db() as db:
        yield db


DbDep = Annotated[AsyncSession, Depends(get_db)]
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="The id, as listed.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="How many items to skip.")]


Known = service.ServiceError | InvalidDefinition
STATUS: tuple[tuple[type[Known], int], ...] = (
    (service.NotFound, 404),
    (service.Unauthorized, 401),
    (service.Forbidden, 403),
    (service.Conflict, 409),
    (service.InvalidInput, 422),
    (service.RateLimited, 429),
    (service.Unavailable, 503),
    (InvalidDefinition, 422),
)
"""The HTTP status of each error the API and the pages answer; a subclass answers its base's."""


def status_of(error: Known) -> int:
    """The HTTP status `error` answers.

    >>> status_of(service.Duplicate("slug: taken", field="slug"))
    409
    """
    return next(status for kind_of, status in STATUS if isinstance(error, kind_of))
