"""The `hooksmith` command: definition files (run, render, curl, openapi), webhooks as code
(export, apply), the server, the worker, admin."""

from __future__ import annotations

import typer

from hooksmith.cli import admin, ascode, curl, openapi, server, webhooks, worker


def build_app() -> typer.Typer:
    """The Typer app with every command; built when the command runs, not at import."""
    app = typer.Typer(
        help="hooksmith: a Webhook Builder for chatbot conversations.",
        no_args_is_help=True,
        add_completion=False,
    )
    app.command()(webhooks.run)
    app.command()(webhooks.render)
    app.command()(curl.curl)
    app.command()(openapi.openapi)
    app.command()(ascode.export)
    app.command()(ascode.apply)
    app.command()(server.serve)
    app.command()(worker.worker)
    app.add_typer(admin.build_admin(), name="admin")
    return app


def main() -> None:
    build_app()()
