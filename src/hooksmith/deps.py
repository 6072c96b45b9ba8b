"""The FastAPI dependencies the API and the pages share: the runtime, one unit of work on the
database (`db`) per request, and the bounds of an id or an offset in a path or query.

`api` and `web` may not import each other; this layer sits between them and `service`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

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
