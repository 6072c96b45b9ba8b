"""`hooksmith curl`: a cURL command as a definition file, or a definition file as cURL."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml

from hooksmith.cli.webhooks import EXIT_OK, definition_file, fail_input
from hooksmith.engine import EngineError, parse_curl, to_curl


def read_text(file: str) -> str:
    """A file's text, or stdin's for `-`; exits 2 naming what is wrong."""
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except OSError as error:
        raise fail_input(f"cannot read {file}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise fail_input(f"{file}: not UTF-8 text") from None


def curl(
    file: Annotated[
        str | None,
        typer.Argument(help="A file holding a cURL command, or - for stdin.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of YAML.")] = False,
    from_definition: Annotated[
        Path | None,
        typer.Option("--from-definition", help="Print this definition file as a cURL command."),
    ] = None,
    reveal: Annotated[
        bool,
        typer.Option("--reveal", help="With --from-definition: write secrets, not placeholders."),
    ] = False,
) -> None:
    """Print a cURL command as a webhook definition (YAML), or a definition as cURL."""
    if from_definition is not None:
        if file is not None:
            raise fail_input("give either a cURL FILE or --from-definition, not both")
        webhook = definition_file(from_definition)
        typer.echo(to_curl(webhook, reveal_secrets=reveal))
        raise typer.Exit(EXIT_OK)
    if file is None:
        raise fail_input("give a file holding a cURL command (or - for stdin)")
    try:
        definition = parse_curl(read_text(file))
    except EngineError as error:
        raise fail_input(error.message) from None
    if as_json:
        typer.echo(json.dumps(definition, indent=2, ensure_ascii=False))
    else:
        typer.echo(yaml.safe_dump(definition, sort_keys=False, allow_unicode=True), nl=False)
    raise typer.Exit(EXIT_OK)
