"""Sign-in throttling over real HTTP: wrong passwords lock the account for a growing time (429
with Retry-After, the right password refused too), the lock runs out by itself, the operator
unlocks it, other accounts go on, unknown emails behave like real ones, and addresses count."""

from __future__ import annotations

import logging

import pytest

from hooksmith.settings import Settings
from tests.api.client import Api, Reply
from tests.api.conftest import PASSWORD, ApiFactory, World
from tests.api.helpers import eventually

FREE = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "sign_in_free_failures": FREE,
            "sign_in_address_free_failures": 50,
            "sign_in_max_lock_seconds": 60.0,
        }
    )


async def _fail(client: Api, email: str, times: int) -> list[int]:
    return [(await client.login(email, "not the password")).status for _ in range(times)]


def _locked(reply: Reply) -> int:
    assert reply.status == 429, reply.text
    assert reply.body["error"]["kind"] == "rate_limited"
    assert "password" not in reply.text.lower().replace("failed", "")
    return int(reply.body["error"]["message"].rsplit("in ", 1)[1].split(" ")[0])


async def test_wrong_passwords_lock_the_account_and_other_accounts_go_on(
    api: ApiFactory, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = await api()
    with caplog.at_level(logging.INFO, logger="hooksmith.service.signin"):
        assert await _fail(client, world.acme.email, FREE) == [401] * FREE
        locked = await client.login(world.acme.email, PASSWORD)
    _locked(locked)
    assert PASSWORD not in caplog.text
    assert "not the password" not in caplog.text
    assert f"user {world.acme.user_id}" in caplog.text
    other = await api()
    assert (await other.login(world.bolt.email, PASSWORD)).status == 200

    async def unlocked() -> bool:  # locked for 1 s after the third failure in a row
        return (await client.login(world.acme.email, PASSWORD)).status == 200

    await eventually(unlocked, timeout=10, step=0.2)


async def test_the_lock_grows_with_each_further_failure(api: ApiFactory, world: World) -> None:
    client = await api()
    await _fail(client, world.acme.email, FREE)
    first = _locked(await client.login(world.acme.email, PASSWORD))

    async def open_again() -> bool:
        return (await client.login(world.acme.email, "still wrong")).status == 401

    await eventually(open_again, timeout=10, step=0.2)
    second = _locked(await client.login(world.acme.email, PASSWORD))
    assert second >= 2 > first - 1


async def test_unknown_emails_are_throttled_like_real_ones(api: ApiFactory) -> None:
    client = await api()
    assert await _fail(client, "nobody@acme.test", FREE) == [401] * FREE
    _locked(await client.login("nobody@acme.test", PASSWORD))


async def test_an_address_is_throttled_across_accounts(
    settings: Settings, world: World, api: ApiFactory
) -> None:
    client = await api()
    for number in range(50):
        assert (await client.login(f"guess{number}@acme.test", "x")).status == 401
    _locked(await client.login(world.bolt.email, PASSWORD))
