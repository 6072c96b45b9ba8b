"""`hooksmith worker`: execute asynchronous runs and deliver callbacks from the job queue."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from hooksmith.cli.files import raise_open_files_limit
from hooksmith.service.jobs.worker import NoJobQueue, work
from hooksmith.settings import Settings


def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Runs at once (default HOOKSMITH_WORKER_CONCURRENCY).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Worker name shown in logs.")] = None,
) -> None:
    """Work the PostgreSQL job queue; start any number, on any number of machines."""
    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    raise_open_files_limit(settings)
    try:
        asyncio.run(
            work(settings, concurrency=concurrency or settings.worker_concurrency, name=name)
        )
    except NoJobQueue as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
