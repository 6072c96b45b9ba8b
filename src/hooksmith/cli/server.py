"""`hooksmith serve`: the web UI and API on the configured database, demo data on first start."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn

from hooksmith.cli.files import raise_open_files_limit
from hooksmith.server import create_server
from hooksmith.service.bootstrap import first_run_with_settings
from hooksmith.settings import Settings

WILDCARDS = {"0.0.0.0", "::", ""}


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the Webhook Builder and the API (embedded SQLite under ./var/ unless configured)."""
    settings = Settings()
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
    app = create_server(settings, trusted_egress=[f"{address}:{port}/echo"])
    # uvloop and httptools (uvicorn[standard]): bench/service.py measured the execute path at
    # about 1.2x the req/s of asyncio's loop with the pure-Python h11 parser, at less CPU.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )
