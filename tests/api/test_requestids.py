"""Every answer carries a request id: the caller's when it is sane, a new one otherwise."""

from __future__ import annotations

import re

from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition
from tests.upstream import Upstream

GENERATED = re.compile(r"[0-9a-f]{32}")


SANE = ["a1b2c3", "4bf92f35-77b3-4da6-a3ce-929d0e0e4736", "Root=1-5759e988", "b64+/=", "x" * 128]
JUNK = ["", "has space", 'quote"d', "x" * 129, "semi;colon", "ümlaut", "a,b", "tab\there"]


async def test_a_sane_request_id_is_answered_back(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    for given in SANE:
        reply = await client.get("/api/v1/webhooks", headers={"X-Request-Id": given})
        assert reply.status == 200
        assert reply.headers.getall("X-Request-Id") == [given]


async def test_junk_is_replaced_by_a_new_id(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    for junk in JUNK:
        reply = await client.get("/api/v1/webhooks", headers={"X-Request-Id": junk})
        assert reply.status == 200
        [answered] = reply.headers.getall("X-Request-Id")
        assert GENERATED.fullmatch(answered), (junk, answered)


async def test_each_request_without_an_id_gets_its_own(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    ids = {(await client.get("/api/v1/webhooks")).headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(GENERATED.fullmatch(answered) for answered in ids)


async def test_error_answers_and_the_execute_path_carry_it_too(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    anonymous = await api()
    refused = await anonymous.get("/api/v1/webhooks", headers={"X-Request-Id": "r-401"})
    assert refused.status == 401
    assert refused.headers["X-Request-Id"] == "r-401"
    missing = await anonymous.get("/no/such/page", headers={"X-Request-Id": "r-404"})
    assert missing.status == 404
    assert missing.headers["X-Request-Id"] == "r-404"
    client = await api(token=world.acme.token)
    created = await client.post("/api/v1/webhooks", definition(upstream.url("/echo/orders")))
    path = f"/api/v1/webhooks/{created.body['id']}/execute"
    executed = await client.post(path, {}, headers={"X-Request-Id": "r-execute"})
    assert executed.status == 200
    assert executed.headers.getall("X-Request-Id") == ["r-execute"]
    unknown = await client.post("/api/v1/webhooks/999999/execute", {})
    assert unknown.status == 404
    assert GENERATED.fullmatch(unknown.headers["X-Request-Id"])
