"""API key, OAuth2 and HMAC auth through the API: saved write-only, executed, never shown; an
OAuth2 token shared by servers through the database; the token URL's host guards the secret."""

from __future__ import annotations

import hashlib
import hmac
import logging
from contextlib import ExitStack
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.settings import Settings
from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.server import Server, serve_app
from tests.token_endpoint import CLIENT_SECRET, TokenEndpoint, oauth2_auth
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"
API_KEY = "ak-live-0123456789abcdef"
HMAC_SECRET = "whsec-0123456789abcdef"


def header(seen: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in seen["headers"] if k.lower() == name.lower()]


@pytest.mark.parametrize(
    ("auth", "secret_field", "options"),
    [
        (
            {"type": "api_key", "name": "api_key", "location": "query", "key": API_KEY},
            "key",
            {"name": "api_key", "location": "query"},
        ),
        (
            {"type": "hmac", "secret": HMAC_SECRET, "signature_header": "X-Sig"},
            "secret",
            {"signature_header": "X-Sig", "timestamp_header": "X-Hooksmith-Timestamp"},
        ),
    ],
)
async def test_a_new_auth_kind_is_saved_write_only_and_sent(
    api: ApiFactory,
    world: World,
    upstream: Upstream,
    open_db: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
    auth: dict[str, Any],
    secret_field: str,
    options: dict[str, str],
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = auth[secret_field]
    client = await api(token=world.acme.token)
    created = await client.post(WEBHOOKS, definition(upstream.url("/echo"), auth=auth))
    assert created.status == 201, created.text
    hook_id = created.body["id"]
    assert created.body["auth"] == {"type": auth["type"], **options, f"{secret_field}_set": True}
    assert created.body["needs_secret"] is None
    texts = [created.text, (await client.get(f"{WEBHOOKS}/{hook_id}")).text]
    executed = await client.post(f"{WEBHOOKS}/{hook_id}/execute", {"orderNumber": "7"})
    assert executed.status == 200, executed.text
    texts.append(executed.text)
    seen = upstream.received[-1]
    if auth["type"] == "api_key":
        assert ("api_key", API_KEY) in seen["query"]
    else:
        [timestamp] = header(seen, "X-Hooksmith-Timestamp")
        digest = hmac.new(
            HMAC_SECRET.encode(), f"{timestamp}.{seen['body']}".encode(), hashlib.sha256
        )
        assert header(seen, "X-Sig") == ["sha256=" + digest.hexdigest()]
    tested = await client.post(f"{WEBHOOKS}/{hook_id}/test", {})
    texts.append(tested.text)

    async def two_runs() -> str | None:
        runs = await client.get(f"{WEBHOOKS}/{hook_id}/runs")
        return runs.text if runs.body["total"] == 2 else None

    texts.append(await eventually(two_runs))
    revisions = await client.get(f"{WEBHOOKS}/{hook_id}/revisions")
    texts.append(revisions.text)
    async with open_db() as db:
        for table in ("runs", "webhooks", "webhook_revisions"):
            texts.append(repr((await db.execute(text(f"SELECT * FROM {table}"))).all()))
    texts.append(caplog.text)
    for shown in texts:
        assert secret not in shown

    # An update that leaves the secret out keeps it; the non-secret fields change.
    changed = dict(auth)
    del changed[secret_field]
    if auth["type"] == "api_key":
        changed["name"] = "key"
    else:
        changed["signature_header"] = "X-Signature"
    updated = await client.put(
        f"{WEBHOOKS}/{hook_id}", definition(upstream.url("/echo"), auth=changed, revision=1)
    )
    assert updated.status == 200, updated.text
    assert updated.body["auth"][f"{secret_field}_set"] is True
    await client.post(f"{WEBHOOKS}/{hook_id}/execute", {})
    seen = upstream.received[-1]
    if auth["type"] == "api_key":
        assert ("key", API_KEY) in seen["query"]
    else:
        assert header(seen, "X-Signature")[0].startswith("sha256=")


async def test_bad_auth_fields_are_named(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    bad = {"type": "api_key", "name": "X Api Key", "key": "k"}
    refused = await client.post(WEBHOOKS, definition(auth=bad))
    assert refused.status == 422
    assert refused.body["error"]["field"] == "auth.name"
    unknown = await client.post(WEBHOOKS, definition(auth={"type": "digest"}))
    assert unknown.status == 422
    assert "api_key, oauth2, hmac" in unknown.body["error"]["message"]
    no_url = {"type": "oauth2", "token_url": "ftp://x", "client_id": "c", "client_secret": "s"}
    refused = await client.post(WEBHOOKS, definition(auth=no_url))
    assert refused.status == 422
    assert refused.body["error"]["field"] == "auth.token_url"
    assert (await client.get(WEBHOOKS)).body["total"] == 0


async def test_oauth2_saved_and_executed_without_showing_secret_or_token(
    api: ApiFactory, world: World, token_endpoint: TokenEndpoint
) -> None:
    client = await api(token=world.acme.token)
    auth = oauth2_auth(token_endpoint, scope="read")
    created = await client.post(WEBHOOKS, definition(token_endpoint.url("/api"), auth=auth))
    assert created.status == 201, created.text
    hook_id = created.body["id"]
    assert created.body["auth"]["client_secret_set"] is True
    assert created.body["auth"]["scope"] == "read"
    texts = [created.text]
    for _ in range(3):
        reply = await client.post(f"{WEBHOOKS}/{hook_id}/execute", {})
        assert reply.status == 200, reply.text
        texts.append(reply.text)
    assert len(token_endpoint.requests) == 1
    token = token_endpoint.issued[0]
    assert token_endpoint.api_calls == [token] * 3
    texts.append((await client.get(f"{WEBHOOKS}/{hook_id}/runs")).text)
    for shown in texts:
        assert CLIENT_SECRET not in shown
        assert token not in shown


async def test_a_failing_token_endpoint_is_an_auth_failed_result_not_a_500(
    api: ApiFactory, world: World, token_endpoint: TokenEndpoint
) -> None:
    token_endpoint.failure = (500, "{}")
    client = await api(token=world.acme.token)
    auth = oauth2_auth(token_endpoint)
    created = await client.post(WEBHOOKS, definition(token_endpoint.url("/api"), auth=auth))
    reply = await client.post(f"{WEBHOOKS}/{created.body['id']}/test", {})
    assert reply.status == 200, reply.text
    result = reply.body["result"]
    assert result["ok"] is False
    assert result["error"]["kind"] == "auth_failed"
    assert "500" in result["error"]["message"]
    assert CLIENT_SECRET not in reply.text


async def test_a_new_token_url_host_clears_the_saved_client_secret(
    api: ApiFactory, world: World, token_endpoint: TokenEndpoint
) -> None:
    client = await api(token=world.acme.token)
    url = token_endpoint.url("/api")
    created = await client.post(WEBHOOKS, definition(url, auth=oauth2_auth(token_endpoint)))
    hook_id = created.body["id"]
    kept = oauth2_auth(token_endpoint, scope="more")
    del kept["client_secret"]
    same_host = await client.put(f"{WEBHOOKS}/{hook_id}", definition(url, auth=kept, revision=1))
    assert same_host.body["auth"]["client_secret_set"] is True
    moved = kept | {"token_url": "https://auth.evil.example/token"}
    check = await client.post(
        "/api/v1/drafts/check",
        {"definition": definition(url, auth=moved), "webhook_id": hook_id},
    )
    assert check.body["clears_secret"] == "client_secret"
    refused_run = await client.post(
        "/api/v1/drafts/run",
        {"definition": definition(url, auth=moved), "conversation": {}, "webhook_id": hook_id},
    )
    assert refused_run.status == 422
    assert refused_run.body["error"]["field"] == "auth.client_secret"
    saved = await client.put(f"{WEBHOOKS}/{hook_id}", definition(url, auth=moved, revision=2))
    assert saved.body["auth"]["client_secret_set"] is False
    assert saved.body["needs_secret"] == "client_secret"
    assert token_endpoint.requests == []  # nothing was sent anywhere


async def test_servers_sharing_a_database_share_one_token(
    server: Server,
    settings: Settings,
    api: ApiFactory,
    world: World,
    token_endpoint: TokenEndpoint,
    open_db: async_sessionmaker[AsyncSession],
) -> None:
    client = await api(token=world.acme.token)
    auth = oauth2_auth(token_endpoint)
    created = await client.post(WEBHOOKS, definition(token_endpoint.url("/api"), auth=auth))
    execute = f"{WEBHOOKS}/{created.body['id']}/execute"
    first = await client.post(execute, {})
    assert first.body["ok"] is True, first.text
    async with open_db() as db:
        stored = (await db.execute(text("SELECT * FROM oauth_tokens"))).all()
    assert len(stored) == 1
    assert token_endpoint.issued[0] not in repr(stored)  # kept encrypted
    with ExitStack() as stack:
        other = stack.enter_context(serve_app(settings))
        async with aiohttp.ClientSession() as http:
            elsewhere = Api(http, other.base_url, token=world.acme.token)
            second = await elsewhere.post(execute, {})
            assert second.body["ok"] is True, second.text
            # The API revokes the token: the other server fetches a new one, once, and shares it.
            token_endpoint.revoked.add(token_endpoint.issued[0])
            third = await elsewhere.post(execute, {})
            assert third.body["ok"] is True, third.text
    assert len(token_endpoint.requests) == 2
    assert token_endpoint.api_calls == [token_endpoint.issued[0]] * 3 + [token_endpoint.issued[1]]
