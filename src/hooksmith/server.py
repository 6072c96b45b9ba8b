"""The whole server: the JSON API and the web UI on one app (`hooksmith serve` runs this)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from fastapi import FastAPI

from hooksmith import web
from hooksmith.api import create_app
from hooksmith.api.errors import answer
from hooksmith.settings import Settings

SERVE_ADDRESS = "HOOKSMITH_SERVE_ADDRESS"  # set by `serve --workers N` for its processes


def server_from_environment() -> FastAPI:
    """The server of one `hooksmith serve --workers N` process, from the settings it inherits."""
    address = os.environ.get(SERVE_ADDRESS)
    return create_server(Settings(), trusted_egress=[address] if address else [])


def create_server(settings: Settings, *, trusted_egress: Iterable[str] = ()) -> FastAPI:
    """The API app of `create_app` with the builder's pages, static files and error pages."""
    app = create_app(settings, trusted_egress=trusted_egress)
    web.install(app, describe=answer)
    return app
