from __future__ import annotations

from tests.api.conftest import ApiFactory, World


async def test_me_by_token(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    reply = await client.get("/api/v1/me")
    assert reply.status == 200, reply.text
    assert reply.body["company"] == "acme"
