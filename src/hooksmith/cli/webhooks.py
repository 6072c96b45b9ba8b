"""`hooksmith run` and `hooksmith render`: a webhook definition file, no server needed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hooksmith.engine import (
    NOT_A_CONVERSATION,
    Engine,
    EngineError,
    Result,
    Webhook,
    conversation_data,
    default_policy,
    load_webhook,
)

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


DefinitionFile = Annotated[
    Path, typer.Argument(help="A webhook definition (.yaml, .yml or .json).", show_default=False)
]
DataOption = Annotated[
    Path | None,
    typer.Option("--data", "-d", help="Conversation data (a JSON object) to render with."),
]


def fail_input(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(EXIT_INVALID)


def definition_file(file: Path) -> Webhook:
    """The webhook a definition file holds, or exit 2 naming what is wrong."""
    try:
        return load_webhook(file)
    except OSError as error:
        raise fail_input(f"cannot read {file}: {error.strerror}") from None
    except EngineError as error:
        raise fail_input(f"{file}: invalid definition: {error.message}") from None


def _load(file: Path, data: Path | None) -> tuple[Webhook, dict[str, Any]]:
    """The definition and the conversation data, or exit 2 naming what is wrong."""
    webhook = definition_file(file)
    conversation: Any = {}
    if data is not None:
        try:
            conversation = json.loads(data.read_text(encoding="utf-8"))
        except OSError as error:
            raise fail_input(f"cannot read {data}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise fail_input(f"{data}: not valid JSON: {error}") from None
        if conversation_data(conversation) is None:
            raise fail_input(f"{data}: {NOT_A_CONVERSATION}")
    return webhook, conversation


def _print_result(result: Result, *, as_json: bool) -> None:
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    request = result.request
    if result.status is not None:
        mark = "ok" if result.ok else "failed"
        typer.secho(
            f"{mark}: HTTP {result.status} in {result.duration_ms:.0f} ms",
            fg=typer.colors.GREEN if result.ok else typer.colors.RED,
            bold=True,
        )
    if request is not None:
        typer.echo(f"{request.method} {request.url}")
    if result.custom_variables:
        typer.echo("custom variables:")
        for name, value in result.custom_variables.items():
            typer.echo(f"  {name} = {json.dumps(value, ensure_ascii=False)}")
    for warning in result.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW)
    if result.error is not None:
        typer.secho(f"error ({result.error.kind}): {result.error.message}", fg=typer.colors.RED)


def run(
    file: DefinitionFile,
    data: DataOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result object as JSON.")
    ] = False,
) -> None:
    """Execute a webhook definition file; exit 0 ok, 1 the webhook failed, 2 invalid input."""
    webhook, conversation = _load(file, data)

    async def go() -> Result:
        async with Engine(policy=default_policy()) as engine:
            return await engine.execute(webhook, conversation)

    result = asyncio.run(go())
    _print_result(result, as_json=as_json)
    raise typer.Exit(EXIT_OK if result.ok else EXIT_FAILED)


def render(file: DefinitionFile, data: DataOption = None) -> None:
    """Show the request a webhook would send (secrets redacted); nothing is sent."""
    webhook, conversation = _load(file, data)
    result = Engine(policy=default_policy()).render(webhook, conversation)
    if result.request is not None:
        request = result.request
        typer.echo(f"{request.method} {request.url}")
        for header in request.headers:
            typer.echo(f"{header.key}: {header.value}")
        if request.body is not None:
            typer.echo("")
            typer.echo(request.body)
    for warning in result.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    if result.error is not None:
        typer.secho(f"error ({result.error.kind}): {result.error.message}", fg=typer.colors.RED)
    raise typer.Exit(EXIT_OK if result.ok else EXIT_FAILED)
