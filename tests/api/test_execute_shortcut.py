"""The execute shortcut in front of the router: what it answers, what it leaves to the route."""

from __future__ import annotations

from typing import Any

import pytest

from hooksmith.api.execute import ExecuteShortcut
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition
from tests.upstream import Upstream

CONVERSATION = {"certainly": {"sessionId": "s-1"}, "orderNumber": "77", "userName": "Bo"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "root_path"),
    [
        ("GET", "/api/v1/webhooks/1/execute", [], ""),
        ("POST", "/api/v1/webhooks/1/test", [], ""),
        ("POST", "/api/v1/webhooks/1/execute/", [], ""),
        ("POST", "/api/v1/webhooks/x/execute", [], ""),
        ("POST", "/api/v1/webhooks/9999999999999999999/execute", [], ""),
        ("POST", "/api/v1/webhooks/1/execute", [(b"content-type", b"multipart/form-data")], ""),
        ("POST", "/api/v1/webhooks/1/execute", [], "/behind-a-proxy"),
    ],
)
async def test_what_it_does_not_expect_goes_to_the_app(
    method: str, path: str, headers: list[tuple[bytes, bytes]], root_path: str
) -> None:
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    await ExecuteShortcut(app, prefix="/api/v1")({**scope, "root_path": root_path}, None, None)
    assert reached == [path]


async def test_it_answers_as_the_route_does(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    created = await client.post("/api/v1/webhooks", definition(upstream.url("/echo/orders")))
    path = f"/api/v1/webhooks/{created.body['id']}/execute"

    reply = await client.post(path, CONVERSATION)
    assert reply.status == 200
    assert reply.body["ok"] is True
    assert reply.body["custom_variables"]["method"] == "POST"

    anonymous = await (await api()).post(path, CONVERSATION)
    assert anonymous.status == 401
    assert anonymous.body["error"]["kind"] == "unauthorized"
    foreign = await (await api(token=world.cobalt.token)).post(path, CONVERSATION)
    assert foreign.status == 404
    assert foreign.body == {
        "error": {
            "kind": "not_found",
            "message": f"no webhook with id {created.body['id']}",
            "field": None,
        }
    }
    broken = await client.post(
        path, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status == 422
    assert broken.body["error"]["field"] == "body"


async def test_a_person_needs_the_csrf_token(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    person = await api(login=world.acme.email)
    created = await person.post("/api/v1/webhooks", definition(upstream.url("/echo/orders")))
    path = f"/api/v1/webhooks/{created.body['id']}/execute"
    assert (await person.post(path, CONVERSATION)).body["ok"] is True
    refused = await person.post(path, CONVERSATION, csrf=False)
    assert refused.status == 403
    assert refused.body["error"]["field"] == "X-CSRF-Token"
