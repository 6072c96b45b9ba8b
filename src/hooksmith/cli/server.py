"""`hooksmith serve`: the web UI and API on the configured database, demo data on first start."""

from __future__ import annotations

import asyncio
import math
import os
from typing import Annotated, Any

import typer
import uvicorn

from hooksmith.cli.files import raise_open_files_limit
from hooksmith.logs import configure_logging, server_logging
from hooksmith.server import SERVE_ADDRESS, create_server
from hooksmith.service.bootstrap import first_run_with_settings
from hooksmith.settings import Settings

WILDCARDS = {"0.0.0.0", "::", ""}
# The longest time-out a webhook may have (the engine refuses more): after SIGTERM the server
# waits that long, plus the execute margin and a little, for the requests in flight, so a
# client that never finishes its request cannot hold a stopping server up for ever.
LONGEST_WEBHOOK_TIMEOUT = 60


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes on the port (PostgreSQL only).")
    ] = 1,
) -> None:
    """Serve the Webhook Builder and the API (embedded SQLite under ./var/ unless configured)."""
    settings = Settings()
    configure_logging(settings.log_format)
    if workers > 1 and not settings.resolved_database_url().startswith("postgresql"):
        typer.secho(
            "--workers: the embedded SQLite database takes one server process; set "
            "HOOKSMITH_DATABASE_URL to PostgreSQL to run several",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    raise_open_files_limit(settings)
    local = "127.0.0.1" if host in WILDCARDS else host
    base_url = f"http://{local}:{port}"
    first = asyncio.run(first_run_with_settings(settings, base_url=base_url))
    if first is not None:
        typer.secho(first.message(), fg=typer.colors.GREEN)
    else:
        typer.echo(f"hooksmith is serving on {base_url}")
    # Webhooks may reach this server's built-in echo endpoint (the demo uses it) and nothing
    # else of it: not its API, pages or sign-in.
    address = f"[{local}]" if ":" in local else local
    trusted = f"{address}:{port}/echo"
    # uvloop and httptools (uvicorn[standard]): the execute path measured at less CPU per
    # request than on asyncio's loop with the pure-Python h11 parser (README, Speed).
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "log_config": server_logging(settings.log_format),
        "access_log": settings.access_log,
        "loop": "uvloop",
        "http": "httptools",
        "timeout_graceful_shutdown": math.ceil(
            LONGEST_WEBHOOK_TIMEOUT + settings.execute_margin_seconds + 5
        ),
    }
    if workers > 1:
        # Each worker process builds its own app (its runtime, caches and run writer) from the
        # environment it inherits; migrations ran above, once.
        os.environ[SERVE_ADDRESS] = trusted
        uvicorn.run(
            "hooksmith.server:server_from_environment", factory=True, workers=workers, **options
        )
        return
    uvicorn.run(create_server(settings, trusted_egress=[trusted]), **options)
