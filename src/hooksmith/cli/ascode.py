"""`hooksmith export` and `hooksmith apply`: a company's webhooks kept as YAML files in git and
applied to a server through its API with a token, a readable diff first.

Exit codes: 0 done (or nothing to change), 1 a call failed or the server's state stops a
webhook, 2 bad input (a file and its field, a company, a missing token); bad input changes
nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from hooksmith.cli.codefiles import (
    FileProblem,
    exported,
    file_names,
    read_file,
    to_yaml,
    webhook_paths,
)
from hooksmith.cli.plan import Plan, PlanError, Step, WebhookFile, make_plan, shown
from hooksmith.cli.remote import Remote, RemoteError

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2

Server = Annotated[
    str,
    typer.Option(
        "--server", envvar="HOOKSMITH_SERVER", help="The server's base URL.", show_default=False
    ),
]
Token = Annotated[
    str,
    typer.Option(
        "--token",
        envvar="HOOKSMITH_TOKEN",
        help="An API token (hs_…) of the agency or company.",
        show_default=False,
        show_envvar=True,
    ),
]
Company = Annotated[
    str | None, typer.Option("--company", help="A company slug.", show_default=False)
]
Directory = Annotated[
    Path, typer.Argument(help="The folder of webhook files (*.yaml).", show_default=False)
]


def _fail(message: str, code: int) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def export(directory: Directory, server: Server, token: Token, company: Company = None) -> None:
    """Write each webhook (of one company with --company) as a YAML file; secrets are written
    as ${VARIABLE} references, never as values."""
    try:
        views = asyncio.run(_export_views(server, token, company))
    except RemoteError as error:
        raise _fail(str(error), EXIT_FAILED) from None
    except LookupError as error:
        raise _fail(str(error), EXIT_INVALID) from None
    directory.mkdir(parents=True, exist_ok=True)
    for view, name in zip(views, file_names(views), strict=True):
        (directory / name).write_text(to_yaml(exported(view)), encoding="utf-8")
        typer.echo(f"wrote {directory / name}")
    typer.echo(f"exported {len(views)} webhook{'s' if len(views) != 1 else ''}")


async def _export_views(server: str, token: str, company: str | None) -> list[dict[str, Any]]:
    async with Remote(server, token) as remote:
        if company is not None and company not in await remote.companies():
            raise LookupError(f"company: {company!r} is not a company this token may see")
        return await remote.webhooks(company)


def apply(
    directory: Directory,
    server: Server,
    token: Token,
    company: Annotated[
        str | None,
        typer.Option(
            "--company",
            help="Apply every file into this company (in place of the files' own).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the changes, make none.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete the webhooks of the files' companies no file names."),
    ] = False,
    set_secrets: Annotated[
        bool,
        typer.Option("--set-secrets", help="Send every referenced secret (to rotate them)."),
    ] = False,
) -> None:
    """Create and update webhooks as the files say, printing the changes field by field first;
    applying the same files again changes nothing."""
    problems: list[str] = []
    files: list[WebhookFile] = []
    try:
        paths = webhook_paths(directory)
    except FileProblem as error:
        raise _fail(str(error), EXIT_INVALID) from None
    for path in paths:
        try:
            files.append(read_file(path, company=company))
        except FileProblem as error:
            problems.append(str(error))
    if problems:
        raise _fail("\n".join(problems), EXIT_INVALID)
    try:
        code = asyncio.run(
            _apply(files, server, token, company, dry_run=dry_run, prune=prune, rotate=set_secrets)
        )
    except RemoteError as error:
        raise _fail(str(error), EXIT_FAILED) from None
    raise typer.Exit(code)


async def _apply(
    files: list[WebhookFile],
    server: str,
    token: str,
    company: str | None,
    *,
    dry_run: bool,
    prune: bool,
    rotate: bool,
) -> int:
    async with Remote(server, token) as remote:
        visible = set(await remote.companies())
        unknown = [
            f"{f.path}: company: {f.company!r} is not a company this token may see"
            for f in files
            if f.company not in visible
        ]
        if company is not None and company not in visible:
            unknown.insert(0, f"company: {company!r} is not a company this token may see")
        if unknown:
            typer.secho("error: " + "\n".join(unknown), err=True, fg=typer.colors.RED)
            return EXIT_INVALID
        companies = {company} if company is not None else {file.company for file in files}
        views = [view for view in await remote.webhooks() if view["company"] in companies]
        try:
            plan = make_plan(files, views, prune=companies if prune else None, set_secrets=rotate)
        except PlanError as error:
            typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
            return EXIT_INVALID
        if plan.invalid:
            typer.secho("error: " + "\n".join(plan.invalid), err=True, fg=typer.colors.RED)
            return EXIT_INVALID
        _print_plan(plan)
        if dry_run or not plan.steps:
            if dry_run:
                typer.echo("dry run: nothing changed")
            return EXIT_FAILED if plan.problems else EXIT_OK
        failed = 0
        for step in plan.steps:
            try:
                await _carry_out(remote, step)
            except RemoteError as error:
                failed += 1
                typer.secho(f"failed: {_title(step)}: {error}", err=True, fg=typer.colors.RED)
        done = len(plan.steps) - failed
        typer.echo(f"applied {done} of {len(plan.steps)} change{'s' if done != 1 else ''}")
        return EXIT_FAILED if failed or plan.problems else EXIT_OK


async def _carry_out(remote: Remote, step: Step) -> None:
    saved: dict[str, Any] | None = None
    if step.action == "create":
        assert step.payload is not None
        saved = await remote.create(step.payload)
    elif step.action == "update":
        assert step.payload is not None
        assert step.webhook_id is not None
        saved = await remote.update(step.webhook_id, step.payload)
    else:
        assert step.webhook_id is not None
        await remote.delete(step.webhook_id)
    if saved is not None and saved.get("needs_secret"):
        # An edit of where it sends clears the stored secret; without a reference none is sent.
        typer.secho(
            f"warning: {step.source}: auth.{saved['needs_secret']}: the server holds no secret "
            "for this webhook now; write it as a ${VARIABLE} reference and apply again",
            err=True,
            fg=typer.colors.YELLOW,
        )


_MARKS = {"create": ("+", typer.colors.GREEN), "update": ("~", typer.colors.YELLOW)}
_MARKS["delete"] = ("-", typer.colors.RED)


def _title(step: Step) -> str:
    where = f" ({step.source})" if step.source else f" (id {step.webhook_id})"
    return f"{step.action} {step.company}/{step.name}{where}"


def _print_plan(plan: Plan) -> None:
    for step in plan.steps:
        mark, colour = _MARKS[step.action]
        typer.secho(f"{mark} {_title(step)}", fg=colour, bold=True)
        for change in step.changes:
            if step.action == "create":
                typer.echo(f"    {change.path}: {shown(change.after)}")
            else:
                typer.echo(f"    {change.path}: {shown(change.before)} → {shown(change.after)}")
    for problem in plan.problems:
        typer.secho(f"problem: {problem}", err=True, fg=typer.colors.RED)
    if not plan.steps:
        typer.echo(f"no changes ({len(plan.unchanged)} webhooks as the files say)")
    elif plan.unchanged:
        typer.echo(f"{len(plan.unchanged)} unchanged")
