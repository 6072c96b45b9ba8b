"""The HTTP API: management and runtime routes, authentication, errors and the echo endpoint."""

from __future__ import annotations

from hooksmith.api.app import create_app

__all__ = ["create_app"]
