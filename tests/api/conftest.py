"""Fixtures of the API tests: the real server over HTTP, tenants with users and tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.settings import Settings
from hooksmith.store import TenantRepository
from tests.api.client import Api
from tests.database import Tenants
from tests.server import Server, serve_app

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Caller:
    """A user (email, password) and an API token of one agency or company."""

    email: str
    token: str
    user_id: int
    token_id: int


@dataclass(frozen=True)
class World:
    """Two agencies' admins, company users and their tokens, on top of `Tenants`."""

    tenants: Tenants
    north_admin: Caller  # agency north: acme, bolt
    acme: Caller  # company user of acme (north)
    bolt: Caller  # company user of bolt (north)
    south_admin: Caller  # agency south: cobalt, delta
    cobalt: Caller  # company user of cobalt (south)


async def _caller(
    repository: TenantRepository,
    email: str,
    *,
    agency_id: int | None = None,
    company_id: int | None = None,
    is_admin: bool = False,
) -> Caller:
    user = await repository.create_user(
        email, PASSWORD, agency_id=agency_id, company_id=company_id, is_admin=is_admin
    )
    token, plaintext = await repository.create_token(
        f"token of {email}", agency_id=agency_id, company_id=company_id
    )
    return Caller(email=email, token=plaintext, user_id=user.id, token_id=token.id)


@pytest.fixture
async def world(db: AsyncSession, tenants: Tenants) -> World:
    repository = TenantRepository(db)
    made = World(
        tenants=tenants,
        north_admin=await _caller(
            repository, "admin@north.test", agency_id=tenants.north.id, is_admin=True
        ),
        acme=await _caller(repository, "ana@acme.test", company_id=tenants.acme.id),
        bolt=await _caller(repository, "bo@bolt.test", company_id=tenants.bolt.id),
        south_admin=await _caller(
            repository, "admin@south.test", agency_id=tenants.south.id, is_admin=True
        ),
        cobalt=await _caller(repository, "cy@cobalt.test", company_id=tenants.cobalt.id),
    )
    await db.commit()
    return made


def settings_for(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    """Settings of a test server: its database, a var dir in `tmp_path`, a fresh secret key and
    egress to 127.0.0.1 (where the upstreams listen), then `overrides`."""
    values: dict[str, object] = {"egress_allow": "127.0.0.1"} | overrides
    return Settings(
        database_url=database_url,
        var_dir=tmp_path / "var",
        secret_key=SecretStr(Fernet.generate_key().decode()),
        **values,  # type: ignore[arg-type]
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return settings_for(database_url, tmp_path)


@pytest.fixture
def server(settings: Settings, world: World) -> Iterator[Server]:
    with serve_app(settings) as running:
        yield running


ApiFactory = Callable[..., Awaitable[Api]]


@pytest.fixture
async def api(server: Server) -> AsyncIterator[ApiFactory]:
    """`await api(token=...)` or `await api(login=email)`: a client of the running server."""
    opened: list[aiohttp.ClientSession] = []

    async def make(*, token: str | None = None, login: str | None = None) -> Api:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        opened.append(http)
        client = Api(http, server.base_url, token=token)
        if login is not None:
            reply = await client.login(login, PASSWORD)
            assert reply.status == 200, reply.text
        return client

    yield make
    for http in opened:
        await http.close()
