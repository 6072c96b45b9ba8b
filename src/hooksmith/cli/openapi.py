"""`hooksmith openapi`: an OpenAPI 3 document's operations, or one as a definition file."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
import yaml

from hooksmith.cli.curl import read_text
from hooksmith.cli.webhooks import EXIT_OK, fail_input
from hooksmith.engine import EngineError, import_openapi, list_operations


class _BlockDumper(yaml.SafeDumper):
    """YAML with multi-line text (a body skeleton) as a `|` block, as a person writes it."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def _as_comments(title: str, data: Any) -> str:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
    return f"# {title}\n" + "".join(f"# {line}\n" for line in text.splitlines())


def _definition_yaml(imported: dict[str, Any]) -> str:
    """The definition as YAML, its suggested mappers and notes as comments after it."""
    text = yaml.dump(
        imported["definition"], Dumper=_BlockDumper, sort_keys=False, allow_unicode=True
    )
    if imported["suggested_mappers"]:
        text += _as_comments(
            "Suggested mappers (copy the ones you want under custom_variables):",
            imported["suggested_mappers"],
        )
    if imported["notes"]:
        text += "# Notes:\n" + "".join(f"# - {note}\n" for note in imported["notes"])
    return text


def openapi(
    file: Annotated[
        str,
        typer.Argument(
            help="An OpenAPI 3 document (JSON or YAML), or - for stdin.", show_default=False
        ),
    ],
    operation: Annotated[
        str | None,
        typer.Option("--operation", "-o", help="An operationId or 'METHOD /path' to import."),
    ] = None,
    server: Annotated[
        str | None,
        typer.Option("--server", help="The API's base URL, instead of the document's servers[0]."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """List an OpenAPI document's operations, or print one as a webhook definition (YAML)."""
    text = read_text(file)
    try:
        if operation is None:
            operations = list_operations(text)
        else:
            imported = import_openapi(text, operation, server=server)
    except EngineError as error:
        raise fail_input(error.message) from None
    if operation is None:
        if as_json:
            typer.echo(json.dumps({"operations": operations}, indent=2, ensure_ascii=False))
        for found in [] if as_json else operations:
            label = found["operation_id"] or ""
            summary = f"  {found['summary']}" if found["summary"] else ""
            typer.echo(f"{found['method']:<7} {found['path']}  {label}{summary}".rstrip())
    elif as_json:
        typer.echo(json.dumps(imported, indent=2, ensure_ascii=False))
    else:
        typer.echo(_definition_yaml(imported), nl=False)
    raise typer.Exit(EXIT_OK)
