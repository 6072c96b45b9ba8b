"""`hooksmith admin …`: the operator creates agencies, companies, users and tokens, prunes runs."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.cli.webhooks import fail_input
from hooksmith.service import signed_in, signin, tenants
from hooksmith.service.database import Database, database_of
from hooksmith.service.errors import ServiceError
from hooksmith.service.keys import Rotated, reencrypt_secrets
from hooksmith.service.runs import prune_runs
from hooksmith.settings import Settings

T = TypeVar("T")

AgencyOption = Annotated[str | None, typer.Option(help="Slug of the agency it belongs to.")]
CompanyOption = Annotated[str | None, typer.Option(help="Slug of the company it belongs to.")]


def _on_database(work: Callable[[Settings, Database], Awaitable[T]]) -> T:
    """Run `work` on the configured (and migrated) database; exit 2 on bad input."""

    async def go() -> T:
        settings = Settings()
        async with database_of(settings) as database:
            return await work(settings, database)

    try:
        return asyncio.run(go())
    except ServiceError as error:
        raise fail_input(str(error)) from None


def _with_db(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one unit of work (`db`) on the configured database."""

    async def in_db(_: Settings, database: Database) -> T:
        async with database.open_db() as db:
            return await work(db)

    return _on_database(in_db)


def create_agency(slug: str, name: str) -> None:
    """Create an agency."""
    agency = _with_db(lambda db: tenants.create_agency(db, slug, name))
    typer.echo(f"agency {agency.slug} created (id {agency.id})")


def create_company(slug: str, name: str, agency: AgencyOption = None) -> None:
    """Create a company, on its own or in an agency."""
    company = _with_db(lambda db: tenants.create_company(db, None, slug, name, agency=agency))
    typer.echo(f"company {company.slug} created (id {company.id})")


def create_user(
    email: str,
    agency: AgencyOption = None,
    company: CompanyOption = None,
    admin: Annotated[bool, typer.Option("--admin", help="May manage users and tokens.")] = False,
    password: Annotated[
        str | None, typer.Option(help="Asked for when left out (not echoed).")
    ] = None,
) -> None:
    """Create a user of an agency or of a company."""
    secret = password or getpass.getpass("password: ")
    user = _with_db(
        lambda db: tenants.create_user(
            db, None, email, secret, company=company, agency=agency, is_admin=admin
        )
    )
    typer.echo(f"user {user.email} created (id {user.id})")


def create_token(
    name: str,
    agency: AgencyOption = None,
    company: CompanyOption = None,
    environment: Annotated[
        str,
        typer.Option(
            help="production (always sends) or staging (answers from the webhooks' samples "
            "while the company's mock switch is on)."
        ),
    ] = "production",
) -> None:
    """Create an API token for a company or an agency; its value is printed once."""
    token = _with_db(
        lambda db: tenants.create_token(
            db, None, name, company=company, agency=agency, environment=environment
        )
    )
    typer.echo(f"token {token.name} ({token.environment}, id {token.id}); shown only now:")
    typer.echo(token.token)


def revoke_token(token_id: int) -> None:
    """Revoke an API token by its id."""
    _with_db(lambda db: tenants.revoke_token(db, None, token_id))
    typer.echo(f"token {token_id} revoked")


def unlock_user(email: str) -> None:
    """Unlock an account locked after failed sign-ins (it also unlocks by itself)."""
    _with_db(lambda db: signin.unlock_user(db, email))
    typer.echo(f"user {email} unlocked")


def rotate_secrets() -> None:
    """Re-encrypt every stored secret with the newest key of HOOKSMITH_SECRET_KEY (put the new
    key first, run this, then drop the old keys)."""

    async def work(_: Settings, database: Database) -> Rotated:
        async with database.open_db() as db:
            return await reencrypt_secrets(db, database.box)

    done = _on_database(work)
    typer.echo(
        f"{done.webhook_secrets} webhook secrets, {done.callback_secrets} callback secrets and "
        f"{done.company_secrets} company secrets re-encrypted with the newest key"
    )


def end_sessions(email: str) -> None:
    """Sign a user out everywhere: their sessions end (other servers see it within seconds)."""
    ended = _with_db(lambda db: signed_in.end_sessions_by_email(db, email))
    typer.echo(f"{ended} sessions of {email} ended")


def prune(
    days: Annotated[float | None, typer.Option(help="Keep runs younger than this.")] = None,
) -> None:
    """Delete runs older than the retention (HOOKSMITH_RUN_RETENTION_DAYS, default 30 days)."""

    async def work(settings: Settings, database: Database) -> int:
        return await prune_runs(database.open_db, days or settings.run_retention_days)

    typer.echo(f"{_on_database(work)} runs deleted")


def build_admin() -> typer.Typer:
    admin = typer.Typer(help="Operator commands on the configured database.", no_args_is_help=True)
    commands = (
        create_agency,
        create_company,
        create_user,
        create_token,
        revoke_token,
        unlock_user,
        rotate_secrets,
        end_sessions,
        prune,
    )
    for command in commands:
        admin.command()(command)
    return admin
