"""Company secrets and variables: named values a company's webhooks use by name
(docs/design.md#company-secrets-and-variables).

A secret is write-only: its value is encrypted at rest and never read back by any route; a
rotation is a new value put under the same name, used by the next execute on every server (the
per-company cache is cleared through the change notices). A secret still named by a webhook
cannot be deleted (`InUse`, naming the webhooks), so no webhook breaks unnoticed.
"""

from __future__ import annotations

import time
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import (
    VALUE_NAME,
    CompanySecret,
    CompanyValues,
    Webhook,
    allowed_host_problem,
    references,
)
from hooksmith.service.actors import Actor
from hooksmith.service.caching import ChangedById
from hooksmith.service.errors import Conflict, InvalidInput, NotFound, store_errors
from hooksmith.store import (
    Scope,
    SecretBox,
    SecretUnreadable,
    TenantRepository,
    WebhookRepository,
    to_definition,
)
from hooksmith.store.company_values import CompanyValueRepository
from hooksmith.store.models import Company, WebhookRow

MAX_VALUE_CHARS = 8 * 1024
MAX_PER_COMPANY = 200
MAX_ALLOWED_HOSTS = 50
_WEBHOOKS_SCANNED = 2000


class InUse(Conflict):
    """A secret or variable is still named by webhooks; `field` is `name`."""

    kind = "in_use"


class SecretView(BaseModel):
    """A company secret as anyone may see it: never its value."""

    name: str
    allowed_hosts: list[str]
    created_at: datetime
    rotated_at: datetime | None
    used_by: list[str]


class VariableView(BaseModel):
    """A company variable, value included (variables are not secret)."""

    name: str
    value: str
    updated_at: datetime
    used_by: list[str]


class CompanyValuesView(BaseModel):
    """A company's secrets (without values) and variables."""

    company: str
    secrets: list[SecretView]
    variables: list[VariableView]


def _check_name(name: str) -> None:
    if not VALUE_NAME.fullmatch(name):
        raise InvalidInput(
            f"name: {name[:80]!r} is not a valid name (a letter or _, then letters, digits or _; "
            "at most 64 characters)",
            field="name",
        )


def _check_value(value: str, field: str) -> None:
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidInput(
            f"{field}: must be at most {MAX_VALUE_CHARS} characters long (got {len(value)})",
            field=field,
        )
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise InvalidInput(f"{field}: must be text without NUL characters", field=field)


def checked_hosts(hosts: list[str]) -> list[str]:
    """The allowed hosts, lowercased and without repeats; `InvalidInput` names a bad one."""
    if not hosts:
        raise InvalidInput(
            "allowed_hosts: list at least one host the secret may be sent to "
            "(api.example.com, or *.example.com)",
            field="allowed_hosts",
        )
    if len(hosts) > MAX_ALLOWED_HOSTS:
        raise InvalidInput(
            f"allowed_hosts: at most {MAX_ALLOWED_HOSTS} hosts (got {len(hosts)})",
            field="allowed_hosts",
        )
    kept: list[str] = []
    for index, host in enumerate(hosts):
        entry = host.strip().lower().rstrip(".")
        problem = allowed_host_problem(entry)
        if problem is not None:
            where = f"allowed_hosts[{index}]"
            raise InvalidInput(f"{where}: {problem}", field=where)
        if entry not in kept:
            kept.append(entry)
    return kept


async def _company(db: AsyncSession, actor: Actor, slug: str) -> Company:
    found = await TenantRepository(db).company_by_slug(actor.scope, slug)
    if found is None:
        raise NotFound(f"company: no company {slug!r}", field="company")
    return found


def _shape(row: WebhookRow) -> Webhook:
    return to_definition(row, None)


async def _users(
    db: AsyncSession, box: SecretBox, company_id: int
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Which webhooks (by name) name each secret, and each variable."""
    repository = WebhookRepository(db, box)
    rows, _ = await repository.list(
        Scope.everything(), company_id=company_id, limit=_WEBHOOKS_SCANNED
    )
    secrets: dict[str, list[str]] = {}
    variables: dict[str, list[str]] = {}
    for row in rows:
        try:
            webhook = repository.definition(row)
        except SecretUnreadable:
            webhook = _shape(row)
        found = references(webhook)
        for name in found.secrets:
            secrets.setdefault(name, []).append(row.name)
        for name in found.variables:
            variables.setdefault(name, []).append(row.name)
    return secrets, variables


async def list_values(
    db: AsyncSession, box: SecretBox, actor: Actor, company: str
) -> CompanyValuesView:
    """The company's secrets (names, allowed hosts, dates, users; never values) and variables."""
    found = await _company(db, actor, company)
    repository = CompanyValueRepository(db, box)
    secret_users, variable_users = await _users(db, box, found.id)
    secrets = [
        SecretView(
            name=row.name,
            allowed_hosts=list(row.allowed_hosts),
            created_at=row.created_at,
            rotated_at=row.rotated_at,
            used_by=secret_users.get(row.name, []),
        )
        for row in await repository.secrets(found.id)
    ]
    variables = [
        VariableView(
            name=row.name,
            value=row.value,
            updated_at=row.updated_at,
            used_by=variable_users.get(row.name, []),
        )
        for row in await repository.variables(found.id)
    ]
    await db.commit()
    return CompanyValuesView(company=found.slug, secrets=secrets, variables=variables)


async def put_secret(
    db: AsyncSession,
    box: SecretBox,
    actor: Actor,
    company: str,
    name: str,
    value: str | None,
    allowed_hosts: list[str],
    *,
    cache: CompanyValuesCache,
) -> tuple[SecretView, bool]:
    """Create a secret or rotate it (a new `value`); None keeps the value, changing only the
    allowed hosts. True when it was created."""
    _check_name(name)
    if value is not None:
        _check_value(value, "value")
        if not value:
            raise InvalidInput("value: must not be empty", field="value")
    hosts = checked_hosts(allowed_hosts)
    found = await _company(db, actor, company)
    repository = CompanyValueRepository(db, box)
    exists = await repository.has_secret(found.id, name)
    if not exists:
        if value is None:
            raise InvalidInput("value: a new secret needs a value", field="value")
        await _room(repository, found.id)
    with store_errors():
        row, created = await repository.put_secret(
            found.id, name, value, hosts, user_id=actor.user_id
        )
    view = SecretView(
        name=row.name,
        allowed_hosts=list(row.allowed_hosts),
        created_at=row.created_at,
        rotated_at=row.rotated_at,
        used_by=[],
    )
    await db.commit()
    cache.changed(found.id)
    return view, created


async def put_variable(
    db: AsyncSession,
    box: SecretBox,
    actor: Actor,
    company: str,
    name: str,
    value: str,
    *,
    cache: CompanyValuesCache,
) -> VariableView:
    """Create or change a variable."""
    _check_name(name)
    _check_value(value, "value")
    found = await _company(db, actor, company)
    repository = CompanyValueRepository(db, box)
    if not any(row.name == name for row in await repository.variables(found.id)):
        await _room(repository, found.id)
    row = await repository.put_variable(found.id, name, value)
    view = VariableView(name=row.name, value=row.value, updated_at=row.updated_at, used_by=[])
    await db.commit()
    cache.changed(found.id)
    return view


async def _room(repository: CompanyValueRepository, company_id: int) -> None:
    secrets, variables = await repository.count(company_id)
    if secrets + variables >= MAX_PER_COMPANY:
        raise InvalidInput(
            f"name: a company has at most {MAX_PER_COMPANY} secrets and variables together; "
            "delete one first",
            field="name",
        )


async def delete_secret(
    db: AsyncSession,
    box: SecretBox,
    actor: Actor,
    company: str,
    name: str,
    *,
    cache: CompanyValuesCache,
) -> None:
    """Delete a secret no webhook names; `InUse` names the webhooks that still do."""
    await _delete(db, box, actor, company, name, secret=True, cache=cache)


async def delete_variable(
    db: AsyncSession,
    box: SecretBox,
    actor: Actor,
    company: str,
    name: str,
    *,
    cache: CompanyValuesCache,
) -> None:
    """Delete a variable no webhook names; `InUse` names the webhooks that still do."""
    await _delete(db, box, actor, company, name, secret=False, cache=cache)


async def _delete(
    db: AsyncSession,
    box: SecretBox,
    actor: Actor,
    company: str,
    name: str,
    *,
    secret: bool,
    cache: CompanyValuesCache,
) -> None:
    noun = "secret" if secret else "variable"
    found = await _company(db, actor, company)
    repository = CompanyValueRepository(db, box)
    if secret:
        exists = await repository.has_secret(found.id, name)
    else:
        exists = any(row.name == name for row in await repository.variables(found.id))
    if not exists:
        raise NotFound(f"name: the company has no {noun} {name[:80]!r}", field="name")
    users = (await _users(db, box, found.id))[0 if secret else 1].get(name, [])
    if users:
        raise InUse(
            f"name: the {noun} {name!r} is used by {_listed(users)}; remove it from them first",
            field="name",
        )
    if secret:
        await repository.delete_secret(found.id, name)
    else:
        await repository.delete_variable(found.id, name)
    await db.commit()
    cache.changed(found.id)


def _listed(names: list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f"the webhook{'s' if len(names) > 1 else ''} {shown}{more}"


class CompanyValuesCache(ChangedById[CompanyValues]):
    """Each company's secrets (decrypted) and variables for the execute path: one query per
    company until a change clears it. A change in this process clears it here at once and is
    announced to the others (change notices); `max_age` is the fallback window."""

    async def get(self, company_id: int) -> CompanyValues:
        entry = self._entries.get(company_id)
        if entry is not None and time.monotonic() - entry[0] <= self.max_age:
            return entry[1]
        epoch = self._epoch
        values = await self._load(company_id)
        self._store(company_id, values, epoch)
        return values

    async def _load(self, company_id: int) -> CompanyValues:
        async with self.open_db() as db:
            repository = CompanyValueRepository(db, self.box)
            secrets: dict[str, CompanySecret] = {}
            for row in await repository.secrets(company_id):
                try:
                    value = repository.secret_value(row)
                except SecretUnreadable:
                    continue  # an execute naming it answers unknown_secret; set it again
                secrets[row.name] = CompanySecret(value, tuple(row.allowed_hosts))
            variables = {row.name: row.value for row in await repository.variables(company_id)}
        return CompanyValues(secrets=secrets, variables=variables)
