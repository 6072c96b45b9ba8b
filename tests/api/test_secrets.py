"""Write-only secrets: never returned, kept on update, cleared when the destination changes."""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"
TOKEN = "tok-9c2e51-very-secret"
PASSWORD = "pw-77b1-very-secret"


def _authorization(upstream: Upstream) -> str | None:
    for key, value in upstream.received[-1]["headers"]:
        if key.lower() == "authorization":
            return str(value)
    return None


async def _execute(client: Api, hook_id: int) -> dict[str, Any]:
    reply = await client.post(f"{WEBHOOKS}/{hook_id}/execute", {"certainly": {"sessionId": "s"}})
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.body
    return body


async def test_secrets_are_write_only_and_kept_by_an_update_that_omits_them(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    created = await client.post(
        WEBHOOKS, definition(upstream.url("/echo/a"), auth={"type": "bearer", "token": TOKEN})
    )
    assert created.body["auth"] == {"type": "bearer", "token_set": True}
    assert TOKEN not in created.text
    hook_id = created.body["id"]

    renamed = definition(upstream.url("/echo/b"), name="Renamed", auth={"type": "bearer"})
    updated = await client.put(f"{WEBHOOKS}/{hook_id}", renamed | {"revision": 1})
    assert updated.body["auth"] == {"type": "bearer", "token_set": True}
    result = await _execute(client, hook_id)
    assert result["ok"] is True
    assert _authorization(upstream) == f"Bearer {TOKEN}"


async def test_changing_the_host_clears_the_secret_unless_it_is_sent_again(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    basic = {"type": "basic", "username": "bot", "password": PASSWORD}
    created = await client.post(WEBHOOKS, definition(upstream.url("/echo"), auth=basic))
    hook_id = created.body["id"]
    assert created.body["auth"] == {"type": "basic", "username": "bot", "password_set": True}

    elsewhere = upstream.url("/echo").replace("127.0.0.1", "localhost")
    moved = definition(elsewhere, auth={"type": "basic", "username": "bot"}, revision=1)
    reply = await client.put(f"{WEBHOOKS}/{hook_id}", moved)
    assert reply.body["auth"]["password_set"] is False
    back = definition(upstream.url("/echo"), auth={"type": "basic", "username": "bot"}, revision=2)
    reply = await client.put(f"{WEBHOOKS}/{hook_id}", back)
    assert reply.body["auth"]["password_set"] is False, "a cleared secret does not come back"
    sent = len(upstream.received)
    result = await _execute(client, hook_id)
    assert result["ok"] is False
    assert result["error"]["field"] == "auth.password"
    assert len(upstream.received) == sent

    again = definition(upstream.url("/echo/x"), auth=basic, revision=3)
    assert (await client.put(f"{WEBHOOKS}/{hook_id}", again)).body["auth"]["password_set"]
    port_change = definition(
        upstream.url("/echo").replace(str(upstream.port), str(upstream.port + 1)),
        auth=basic,
        revision=4,
    )
    kept = await client.put(f"{WEBHOOKS}/{hook_id}", port_change)
    assert kept.body["auth"]["password_set"] is True, "re-sent in the same request"


async def test_a_host_placeholder_change_clears_the_secret(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    bearer = {"type": "bearer", "token": TOKEN}
    url = "https://{{ tenant }}.example.com/orders"
    created = await client.post(WEBHOOKS, definition(url, auth=bearer, context={"tenant": "shop"}))
    hook_id = created.body["id"]
    same = definition(url, auth={"type": "bearer"}, context={"tenant": "shop"}, revision=1)
    assert (await client.put(f"{WEBHOOKS}/{hook_id}", same)).body["auth"]["token_set"]
    other = definition(url, auth={"type": "bearer"}, context={"tenant": "evil"}, revision=2)
    assert not (await client.put(f"{WEBHOOKS}/{hook_id}", other)).body["auth"]["token_set"]


async def test_secrets_never_leave_in_responses_runs_or_logs(
    api: ApiFactory,
    world: World,
    upstream: Upstream,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    open_db: async_sessionmaker[AsyncSession],
) -> None:
    caplog.set_level(logging.DEBUG)
    client = await api(token=world.acme.token)
    leaky = definition(
        upstream.url("/echo/leak"),
        auth={"type": "basic", "username": "bot", "password": PASSWORD},
        body='{"note": "no secret here"}',
    )
    texts: list[str] = []
    created = await client.post(WEBHOOKS, leaky)
    hook_id = created.body["id"]
    texts.append(created.text)
    texts.append((await client.get(f"{WEBHOOKS}/{hook_id}")).text)
    texts.append((await client.get(WEBHOOKS)).text)
    texts.append((await client.post(f"{WEBHOOKS}/{hook_id}/test", {})).text)
    texts.append((await client.post(f"{WEBHOOKS}/{hook_id}/execute", {})).text)
    texts.append((await client.post(f"{WEBHOOKS}/{hook_id}/duplicate")).text)

    async def two_runs() -> str | None:
        runs = await client.get(f"{WEBHOOKS}/{hook_id}/runs")
        return runs.text if runs.body["total"] == 2 else None

    texts.append(await eventually(two_runs))
    assert _authorization(upstream) is not None, "the upstream did get the credentials"

    async with open_db() as db:
        for table in ("runs", "webhooks"):
            rows = (await db.execute(text(f"SELECT * FROM {table}"))).all()
            texts.append(repr(rows))
    captured = capsys.readouterr()
    texts += [captured.out, captured.err, caplog.text]
    encoded = base64.b64encode(f"bot:{PASSWORD}".encode()).decode()
    middle = PASSWORD[2:-2]
    for seen in texts:
        assert PASSWORD not in seen
        assert encoded not in seen
        assert middle not in seen
        assert quote(middle, safe="") not in seen
    assert "[redacted]" in texts[3]
    # The request as sent shows the scheme, the user and the password's two ends, in the test
    # run's answer and in the stored runs alike.
    assert '"Basic bot:pw…et"' in texts[3]
    assert '"Basic bot:pw…et"' in texts[6]


async def test_conversation_data_chooses_a_credentialed_host_only_with_consent(
    api: ApiFactory, world: World
) -> None:
    client = await api(token=world.acme.token)
    hook = definition(
        "http://{{ tenant }}.api.example/echo",
        auth={"type": "bearer", "token": "s3cret-token"},
    )
    created = await client.post(WEBHOOKS, hook)
    assert created.body["host_from_conversation"] is False
    refused = await client.post(f"{WEBHOOKS}/{created.body['id']}/execute", {"tenant": "evil"})
    assert refused.body["error"]["kind"] == "egress_blocked"
    assert "{{ tenant }}" in refused.body["error"]["message"]
    assert "s3cret-token" not in refused.text

    consent = {**hook, "host_from_conversation": True, "revision": 1}
    consent["auth"] = {"type": "bearer"}  # kept: the host template did not change
    updated = await client.put(f"{WEBHOOKS}/{created.body['id']}", consent)
    assert updated.status == 200, updated.text
    assert updated.body["host_from_conversation"] is True
    allowed = await client.post(f"{WEBHOOKS}/{created.body['id']}/execute", {"tenant": "acme"})
    assert allowed.body["error"]["kind"] == "connect_error"  # sent (no name resolves here)
    assert allowed.body["request"]["url"] == "http://acme.api.example/echo"
