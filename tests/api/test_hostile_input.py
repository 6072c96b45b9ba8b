"""Hostile input at the API: bodies bounded before they are read, JSON bounded while parsed,
numbers out of range refused, and data that breaks a request ends as a result, never a 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from hooksmith.store import MAX_ID
from tests.api.client import Api, Reply
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.server import Server
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"
DEEP = '{"a": ' * 5000 + "1" + "}" * 5000


def _error(reply: Reply, status: int, field: str | None = None) -> dict[str, Any]:
    assert reply.status == status, reply.text
    error: dict[str, Any] = reply.body["error"]
    assert set(error) - {"errors"} == {"kind", "message", "field"}
    for fault in error.get("errors", []):  # an invalid definition lists every fault
        assert set(fault) == {"field", "message"}
    if field is not None:
        assert error["field"] == field
    return error


@pytest.fixture
async def acme(api: ApiFactory, world: World) -> Api:
    return await api(token=world.acme.token)


async def _hook(client: Api, upstream: Upstream, **overrides: Any) -> str:
    reply = await client.post(WEBHOOKS, definition(upstream.url("/echo"), **overrides))
    assert reply.status == 201, reply.text
    return f"{WEBHOOKS}/{reply.body['id']}"


async def _raw(
    client: Api, path: str, data: bytes | AsyncIterator[bytes], content_type: str
) -> Reply:
    return await client.call("POST", path, data=data, headers={"Content-Type": content_type})


async def test_a_body_past_the_limit_is_refused_before_it_is_read(
    world: World, upstream: Upstream, server: Server, acme: Api
) -> None:
    hook = await _hook(acme, upstream)
    limit = server.settings.max_request_bytes
    host, port = server.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        # Only the head is sent: the answer must come without the server waiting for a body.
        writer.write(
            f"POST {hook}/execute HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {world.acme.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {limit + 1}\r\n\r\n".encode()
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 413 "), head
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        error = json.loads(await reader.readexactly(length))["error"]
    finally:
        writer.close()
    assert error["kind"] == "too_large"
    assert error["field"] == "body"
    assert f"{limit:,} bytes" in error["message"]
    assert upstream.received == []


async def test_a_chunked_body_is_cut_at_the_limit(
    acme: Api, upstream: Upstream, server: Server
) -> None:
    hook = await _hook(acme, upstream)
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"pad": "'
        for _ in range(10_000):  # 640 MB if it were all read
            sent += 65536
            yield b"x" * 65536

    try:
        reply = await _raw(acme, f"{hook}/execute", endless(), "application/json")
    except aiohttp.ClientError:
        pass  # the server may hang up before the client reads its answer
    else:
        _error(reply, 413, "body")
    assert sent < 100 * 1024 * 1024
    assert upstream.received == []


@pytest.mark.parametrize("path", ["/api/v1/session", "/echo"])
async def test_open_routes_take_less(api: ApiFactory, server: Server, path: str) -> None:
    client = await api()
    body = json.dumps({"email": "a@b.test", "password": "x" * 100_000}).encode()
    _error(await _raw(client, path, body, "application/json"), 413, "body")
    small = json.dumps({"email": "nobody@b.test", "password": "wrong"}).encode()
    assert (await _raw(client, path, small, "application/json")).status in (200, 401)


@pytest.mark.parametrize("path", ["/api/v1/session", f"{WEBHOOKS}", "execute"])
async def test_deep_json_is_refused_before_parsing(
    api: ApiFactory, world: World, upstream: Upstream, path: str
) -> None:
    client = await api(token=world.acme.token)
    if path == "execute":
        path = f"{await _hook(client, upstream)}/execute"
    error = _error(await _raw(client, path, DEEP.encode(), "application/json"), 422, "body")
    assert "nested deeper than 64 levels" in error["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"n": ' + b"9" * 100_000 + b"}", "outside 64 bits"),
        (b'{"n": 18446744073709551616}', "outside 64 bits"),
        (b'{"n": NaN}', "NaN"),
        (b'{"n": 1e999}', "range of a double"),
        (b'{"name": "\\ud800"}', "lone surrogate"),
        (b'{"name": ', "line 1"),
        (b"\xff\xfe", "not JSON"),
    ],
)
async def test_conversation_json_out_of_bounds_is_a_422(
    acme: Api, upstream: Upstream, body: bytes, words: str
) -> None:
    hook = await _hook(acme, upstream)
    error = _error(await _raw(acme, f"{hook}/execute", body, "application/json"), 422, "body")
    assert words in error["message"]
    assert upstream.received == []


@pytest.mark.parametrize(
    "path",
    [
        f"{WEBHOOKS}/99999999999999999999",
        f"{WEBHOOKS}/{MAX_ID + 1}",
        f"{WEBHOOKS}/{MAX_ID + 1}/runs",
        f"{WEBHOOKS}?offset=9223372036854775808",
        "/api/v1/webhooks/1/runs?offset=99999999999999999999999",
    ],
)
async def test_numbers_out_of_range_answer_422(acme: Api, path: str) -> None:
    _error(await acme.get(path), 422)


async def test_ids_out_of_range_on_execute_and_delete(acme: Api) -> None:
    _error(await acme.post(f"{WEBHOOKS}/{MAX_ID + 1}/execute", {}), 422)
    _error(await acme.delete(f"{WEBHOOKS}/-1"), 422)
    _error(await acme.delete(f"/api/v1/tokens/{10**30}"), 422)


@pytest.mark.parametrize("value", ["a\x01b", "\x7f", "\x1b[31m", "a\x00b"])
async def test_control_characters_in_a_header_end_as_a_render_error(
    acme: Api, upstream: Upstream, value: str
) -> None:
    hook = await _hook(acme, upstream, headers=[{"key": "X-Who", "value": "{{ who }}"}])
    reply = await acme.post(f"{hook}/execute", {"who": value})
    assert reply.status == 200, reply.text
    assert reply.body["error"]["kind"] == "render_error"
    assert reply.body["error"]["field"] == "headers[0].value"
    assert upstream.received == []


async def test_a_function_from_a_mapper_is_a_mapping_error_and_its_run_is_stored(
    acme: Api, upstream: Upstream
) -> None:
    hook = await _hook(
        acme,
        upstream,
        custom_variables=[
            {"name": "f", "mapper": "response.items"},
            {"name": "method", "mapper": "response.method"},
        ],
    )
    reply = await acme.post(f"{hook}/execute", {"certainly": {"sessionId": "s-fn"}})
    assert reply.status == 200, reply.text
    assert reply.body["error"]["kind"] == "mapping_error"
    assert reply.body["custom_variables"] == {"f": None, "method": "POST"}

    async def stored() -> list[dict[str, Any]] | None:
        runs = await acme.get(f"{hook}/runs")
        return runs.body["items"] or None

    (run,) = await eventually(stored)
    assert run["error_kind"] == "mapping_error"
    assert run["session_id"] == "s-fn"


@pytest.mark.parametrize(
    ("kind", "response_type"),
    [("deep-json", "json"), ("deep-xml", "xml"), ("huge-number", "json"), ("surrogate", "json")],
)
async def test_hostile_answers_end_as_invalid_response(
    acme: Api, upstream: Upstream, kind: str, response_type: str
) -> None:
    url = upstream.url(f"/hostile?kind={kind}")
    hook = await _hook(acme, upstream, url=url, response_type=response_type)
    result = await acme.post(f"{hook}/execute", {})
    assert result.status == 200, result.text
    assert result.body["error"]["kind"] == "invalid_response"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (WEBHOOKS, definition(name="a\x00b"), "name"),
        (WEBHOOKS, definition(headers=[{"key": "X-A", "value": "\ud800"}]), "headers[0].value"),
        ("/api/v1/tokens", {"name": "t\x00"}, "name"),
        ("/api/v1/tokens", {"name": "t", "company": "acme\x00"}, "company"),
        ("/api/v1/users", {"email": "a\x00@b.test", "password": "x" * 12}, "email"),
        ("/api/v1/companies", {"slug": "ok\x00", "name": "Ok"}, "slug"),
    ],
)
async def test_text_no_database_can_store_is_refused_naming_the_field(
    api: ApiFactory, world: World, path: str, body: dict[str, Any], field: str
) -> None:
    if path == WEBHOOKS:
        caller = await api(token=world.acme.token)
    else:
        caller = await api(login=world.north_admin.email)
    error = _error(await caller.post(path, body), 422, field)
    assert (
        "U+0000" in error["message"] or "U+D800" in error["message"] or "slug" in error["message"]
    )


async def test_nul_in_a_query_is_refused(acme: Api) -> None:
    _error(await acme.get(f"{WEBHOOKS}?search=a%00b"), 422, "url")


async def test_sign_in_with_nul_in_the_email_is_just_wrong(api: ApiFactory) -> None:
    client = await api()
    reply = await client.login("a\x00@acme.test", "whatever")
    _error(reply, 401)
