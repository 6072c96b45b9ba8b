"""API key, OAuth2 client credentials and HMAC signing, end to end against real servers on
127.0.0.1: what arrives, what the result shows, and that no secret or token is ever shown."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import Hashable
from typing import Any

import pytest

from hooksmith.engine import WITHHELD_SECRET, Result, Token, parse_webhook, render
from tests.factories import loopback_engine
from tests.token_endpoint import CLIENT_ID, CLIENT_SECRET, TokenEndpoint, oauth2_auth
from tests.upstream import Upstream

API_KEY = "ak-0123456789abcdef"
HMAC_SECRET = "whsec-s3cret-signing-key"


def hook(url: str, auth: dict[str, Any], **more: Any) -> Any:
    return parse_webhook({"name": "auth test", "url": url, "auth": auth, **more})


def header(seen: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in seen["headers"] if k.lower() == name.lower()]


def shown(result: Result) -> str:
    return result.model_dump_json()


async def test_an_api_key_goes_in_its_header_and_is_masked_in_the_result(
    upstream: Upstream,
) -> None:
    auth = {"type": "api_key", "name": "X-Api-Key", "location": "header", "key": API_KEY}
    async with loopback_engine() as engine:
        result = await engine.execute(hook(upstream.url("/echo"), auth), {})
    assert result.ok, result.error
    assert header(upstream.received[-1], "X-Api-Key") == [API_KEY]
    assert result.request is not None
    sent = {line.key: line.value for line in result.request.headers}
    assert sent["X-Api-Key"] == "ak…ef"
    assert API_KEY not in shown(result)


async def test_an_api_key_in_a_header_not_named_like_a_credential_is_still_hidden(
    upstream: Upstream,
) -> None:
    auth = {"type": "api_key", "name": "X-Client", "key": API_KEY}
    headers = [{"key": "X-Client", "value": "configured"}]
    async with loopback_engine() as engine:
        result = await engine.execute(hook(upstream.url("/echo"), auth, headers=headers), {})
    assert header(upstream.received[-1], "X-Client") == [API_KEY]  # the auth's, not the header's
    assert API_KEY not in shown(result)
    assert any("X-Client is replaced" in warning for warning in result.warnings)


async def test_an_api_key_goes_in_the_query_and_is_redacted_from_the_url(
    upstream: Upstream,
) -> None:
    auth = {"type": "api_key", "name": "api_key", "location": "query", "key": API_KEY}
    url = upstream.url("/echo?fixed=1")
    async with loopback_engine() as engine:
        result = await engine.execute(hook(url, auth, params=[{"key": "q", "value": "x"}]), {})
    assert result.ok, result.error
    assert upstream.received[-1]["query"] == [("fixed", "1"), ("q", "x"), ("api_key", API_KEY)]
    assert result.request is not None
    assert result.request.url.endswith("&api_key=[redacted]")
    assert API_KEY not in shown(result)


def recomputed(secret: str, timestamp: str, body: bytes) -> str:
    """The documented recipe, written out again as a receiver would."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_an_hmac_signature_verifies_with_the_documented_recipe(
    upstream: Upstream, method: str
) -> None:
    auth = {"type": "hmac", "secret": HMAC_SECRET}
    body = '{"name": "{{ userName }}", "note": "Zoë"}' if method == "POST" else None
    webhook = hook(upstream.url("/echo"), auth, method=method, body=body)
    async with loopback_engine() as engine:
        result = await engine.execute(webhook, {"userName": "Ana"})
    assert result.ok, result.error
    seen = upstream.received[-1]
    [timestamp] = header(seen, "X-Hooksmith-Timestamp")
    [signature] = header(seen, "X-Hooksmith-Signature")
    assert abs(int(timestamp) - time.time()) < 300
    raw = seen["body"].encode("utf-8")
    assert raw == (b"" if method == "GET" else '{"name": "Ana", "note": "Zoë"}'.encode())
    assert signature == recomputed(HMAC_SECRET, timestamp, raw)
    assert signature != recomputed("another secret", timestamp, raw)
    assert HMAC_SECRET not in shown(result)


async def test_hmac_header_names_are_configurable(upstream: Upstream) -> None:
    auth = {
        "type": "hmac",
        "secret": HMAC_SECRET,
        "signature_header": "X-Signature",
        "timestamp_header": "X-Signed-At",
    }
    async with loopback_engine() as engine:
        await engine.execute(hook(upstream.url("/echo"), auth, method="POST", body="{}"), {})
    seen = upstream.received[-1]
    [timestamp] = header(seen, "X-Signed-At")
    assert header(seen, "X-Signature") == [recomputed(HMAC_SECRET, timestamp, b"{}")]
    assert header(seen, "X-Hooksmith-Signature") == []


def oauth_hook(endpoint: TokenEndpoint, **auth: Any) -> Any:
    return hook(endpoint.url("/api"), oauth2_auth(endpoint, **auth))


async def test_oauth2_fetches_one_token_for_many_concurrent_executes(
    token_endpoint: TokenEndpoint,
) -> None:
    token_endpoint.delay = 0.2  # the executes all wait for the one fetch in flight
    webhook = oauth_hook(token_endpoint, scope="orders:read", audience="https://api.example")
    async with loopback_engine() as engine:
        results = await asyncio.gather(*(engine.execute(webhook, {}) for _ in range(8)))
        later = await engine.execute(webhook, {})
    assert all(result.ok for result in [*results, later]), [r.error for r in results]
    assert len(token_endpoint.requests) == 1
    [asked] = token_endpoint.requests
    assert asked["form"] == {
        "grant_type": "client_credentials",
        "scope": "orders:read",
        "audience": "https://api.example",
    }
    user, _, password = base64.b64decode(asked["authorization"][6:]).decode().partition(":")
    assert (user, password) == ("hooksmith+client", "cl1ent-s3cret%3Awith%2Fodd%2Bchars")
    token = token_endpoint.issued[0]
    assert token_endpoint.api_calls == [token] * 9
    for result in [*results, later]:
        text = shown(result)
        assert token not in text
        assert CLIENT_SECRET not in text
    assert later.request is not None
    authorization = {line.key: line.value for line in later.request.headers}["Authorization"]
    assert authorization == f"Bearer {token[:2]}…{token[-2:]}"


async def test_oauth2_client_authentication_in_the_body(token_endpoint: TokenEndpoint) -> None:
    async with loopback_engine() as engine:
        result = await engine.execute(oauth_hook(token_endpoint, client_auth="body"), {})
    assert result.ok, result.error
    [asked] = token_endpoint.requests
    assert asked["authorization"] is None
    assert asked["form"]["client_id"] == CLIENT_ID
    assert asked["form"]["client_secret"] == CLIENT_SECRET


async def test_a_refused_token_is_fetched_again_once_and_the_request_sent_again(
    token_endpoint: TokenEndpoint,
) -> None:
    webhook = oauth_hook(token_endpoint)
    async with loopback_engine() as engine:
        first = await engine.execute(webhook, {})
        token_endpoint.revoked.add(token_endpoint.issued[0])  # revoked before its time
        second = await engine.execute(webhook, {})
        third = await engine.execute(webhook, {})
    assert [first.ok, second.ok, third.ok] == [True, True, True], second.error
    assert len(token_endpoint.requests) == 2
    assert second.response is not None
    assert second.response.body["token_number"] == 2
    assert [a.status for a in second.attempts] == [401, 200]
    assert any("fetched again" in warning for warning in second.warnings)
    assert third.attempts[0].status == 200
    assert len(third.attempts) == 1
    for token in token_endpoint.issued:
        assert token not in shown(second)


async def test_a_token_refused_again_is_not_fetched_a_third_time(
    token_endpoint: TokenEndpoint,
) -> None:
    class RevokedAtOnce(list[str]):
        """Issued tokens that the API refuses all the same."""

        def append(self, value: str) -> None:
            super().append(value)
            token_endpoint.revoked.add(value)

    token_endpoint.issued = RevokedAtOnce()
    async with loopback_engine() as engine:
        result = await engine.execute(oauth_hook(token_endpoint), {})
    assert not result.ok
    assert result.status == 401
    assert result.error is not None
    assert result.error.kind == "http_error"
    assert len(token_endpoint.requests) == 2
    assert len(token_endpoint.api_calls) == 2


async def test_a_token_is_used_until_shortly_before_it_expires(
    token_endpoint: TokenEndpoint,
) -> None:
    token_endpoint.expires_in = 3
    webhook = oauth_hook(token_endpoint)
    async with loopback_engine() as engine:
        await engine.execute(webhook, {})
        await engine.execute(webhook, {})
        assert len(token_endpoint.requests) == 1
        deadline = time.monotonic() + 20
        while len(token_endpoint.requests) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            result = await engine.execute(webhook, {})
            assert result.ok, result.error
    assert len(token_endpoint.requests) == 2
    assert token_endpoint.api_calls[-1] == token_endpoint.issued[1]


async def test_a_token_without_expires_in_is_kept_an_hour(token_endpoint: TokenEndpoint) -> None:
    token_endpoint.expires_in = None
    started = time.time()
    webhook = oauth_hook(token_endpoint)
    async with loopback_engine() as engine:
        await engine.execute(webhook, {})
        [(_, kept)] = engine.tokens._tokens.items()
    assert started + 3600 - 61 <= kept.usable_until <= time.time() + 3600


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        ((400, '{"error": "invalid_scope", "error_description": "no such scope"}'), "400 Bad"),
        ((500, "oops"), "500 Internal Server Error"),
        ((200, '{"token_type": "Bearer"}'), "holds no access_token"),
    ],
)
async def test_a_failing_token_endpoint_is_a_clear_auth_failed_error(
    token_endpoint: TokenEndpoint, failure: tuple[int, str], said: str
) -> None:
    token_endpoint.failure = failure
    async with loopback_engine() as engine:
        result = await engine.execute(oauth_hook(token_endpoint), {})
    assert not result.ok
    assert result.error is not None
    assert result.error.kind == "auth_failed"
    assert said in result.error.message
    assert token_endpoint.api_calls == []  # nothing sent without a token
    assert CLIENT_SECRET not in shown(result)


async def test_wrong_client_credentials_say_invalid_client(token_endpoint: TokenEndpoint) -> None:
    async with loopback_engine() as engine:
        result = await engine.execute(oauth_hook(token_endpoint, client_secret="wrong-one"), {})
    assert result.error is not None
    assert result.error.kind == "auth_failed"
    assert "401 Unauthorized (invalid_client)" in result.error.message
    assert "wrong-one" not in shown(result)


async def test_a_token_endpoint_that_does_not_answer_in_time_is_auth_failed(
    token_endpoint: TokenEndpoint,
) -> None:
    token_endpoint.delay = 5
    webhook = hook(token_endpoint.url("/api"), oauth2_auth(token_endpoint), timeout=0.5)
    async with loopback_engine() as engine:
        result = await engine.execute(webhook, {})
    assert result.error is not None
    assert result.error.kind == "auth_failed"
    assert "timeout" in result.error.message
    assert token_endpoint.api_calls == []


async def test_the_token_endpoint_is_behind_the_egress_guard(
    token_endpoint: TokenEndpoint,
) -> None:
    auth = oauth2_auth(token_endpoint, token_url="http://10.0.0.1/token")
    async with loopback_engine() as engine:
        result = await engine.execute(hook(token_endpoint.url("/api"), auth), {})
    assert result.error is not None
    assert result.error.kind == "auth_failed"
    assert "egress_blocked" in result.error.message


async def test_tokens_are_kept_per_company(token_endpoint: TokenEndpoint) -> None:
    webhook = oauth_hook(token_endpoint)
    async with loopback_engine() as engine:
        await engine.execute(webhook, {}, company=1)
        await engine.execute(webhook, {}, company=2)
        await engine.execute(webhook, {}, company=1)
    assert len(token_endpoint.requests) == 2


def test_a_preview_of_oauth2_says_the_token_comes_when_sent(token_endpoint: TokenEndpoint) -> None:
    result = render(oauth_hook(token_endpoint), {})
    assert result.ok
    assert any("fetched when the webhook is sent" in warning for warning in result.warnings)
    assert token_endpoint.requests == []


class SharedTokens:
    """A `TokenStore` two engines share, as servers share the database's table."""

    def __init__(self) -> None:
        self.tokens: dict[str, Token] = {}

    async def load(self, key: str, company: Hashable) -> Token | None:
        return self.tokens.get(key)

    async def save(self, key: str, company: Hashable, token: Token) -> None:
        self.tokens[key] = token

    async def drop(self, key: str) -> None:
        self.tokens.pop(key, None)


async def test_a_token_renewed_by_another_server_is_taken_not_fetched_again(
    token_endpoint: TokenEndpoint,
) -> None:
    shared = SharedTokens()
    webhook = oauth_hook(token_endpoint)
    async with loopback_engine(tokens=shared) as one, loopback_engine(tokens=shared) as two:
        assert (await one.execute(webhook, {}, company=1)).ok
        assert (await two.execute(webhook, {}, company=1)).ok  # the shared token
        assert len(token_endpoint.requests) == 1
        token_endpoint.revoked.add(token_endpoint.issued[0])
        renewed = await two.execute(webhook, {}, company=1)  # 401: fetched again, shared
        assert renewed.ok
        assert len(token_endpoint.requests) == 2
        taken = await one.execute(webhook, {}, company=1)  # 401 with its old one: takes the new
        assert taken.ok
        assert [attempt.status for attempt in taken.attempts] == [401, 200]
    assert len(token_endpoint.requests) == 2
    assert token_endpoint.api_calls[-1] == token_endpoint.issued[1]


def test_a_preview_without_the_signing_secret_shows_no_made_up_signature() -> None:
    webhook = hook("https://api.example.com/in", {"type": "hmac", "secret": WITHHELD_SECRET})
    result = render(webhook, {})
    assert result.request is not None
    sent = {line.key: line.value for line in result.request.headers}
    assert sent["X-Hooksmith-Signature"] == "(signed with the saved secret when sent)"
    assert sent["X-Hooksmith-Timestamp"].isdigit()
