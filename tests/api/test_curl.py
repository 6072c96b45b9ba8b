"""cURL in and out through the API: import answers definition data, export never shows secrets."""

from __future__ import annotations

from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition
from tests.upstream import Upstream

IMPORT = "/api/v1/import/curl"
GITHUB = """curl -L \\
  -H "Accept: application/vnd.github+json" \\
  -H "Authorization: Bearer ghp_secret_token" \\
  https://api.github.com/repos/OWNER/REPO/issues?state=open"""


async def test_import_answers_definition_data_and_saves_nothing(
    api: ApiFactory, world: World
) -> None:
    client = await api(token=world.acme.token)
    reply = await client.post(IMPORT, {"curl": GITHUB})
    assert reply.status == 200, reply.text
    assert reply.body["url"] == "https://api.github.com/repos/OWNER/REPO/issues"
    assert reply.body["auth"] == {"type": "bearer", "token": "ghp_secret_token"}
    assert reply.body["params"] == [{"key": "state", "value": "open"}]
    assert (await client.get("/api/v1/webhooks")).body["total"] == 0
    saved = await client.post("/api/v1/webhooks", reply.body)
    assert saved.status == 201, saved.text


async def test_hostile_commands_answer_422_naming_the_field(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    commands = {
        "curl 'https://a.example": "curl",
        'curl https://a.example -H "X-A: 1\r\nX-B: 2"': "curl",
        "curl --upload-file x https://a.example": "curl",
        "curl " + "x" * (1024 * 1024 - 200): "curl",
        "": "curl",
        "curl -H 'Transfer-Encoding: chunked' https://a.example": "headers[0].key",
        "curl -X TRACE https://a.example": "method",
    }
    for command, field in commands.items():
        reply = await client.post(IMPORT, {"curl": command})
        assert reply.status == 422, (command[:40], reply.text)
        assert reply.body["error"]["field"] == field, command[:40]
    assert (await client.post(IMPORT, {"command": "curl x"})).status == 422


async def test_export_shows_placeholders_never_the_stored_secret(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(login=world.acme.email)
    created = await client.post(
        "/api/v1/webhooks",
        definition(
            upstream.url("/echo/orders"),
            auth={"type": "bearer", "token": "stored-bearer-secret"},
            params=[{"key": "q", "value": "{{ orderNumber }}"}],
        ),
    )
    hook_id = created.body["id"]
    reply = await client.get(f"/api/v1/webhooks/{hook_id}/curl", params={"reveal": "true"})
    assert reply.status == 200, reply.text
    assert reply.text.startswith("curl -X POST ")
    assert "stored-bearer-secret" not in reply.text
    assert '"$HOOKSMITH_TOKEN"' in reply.text
    back = await client.post(IMPORT, {"curl": reply.text})
    assert back.body["url"] == upstream.url("/echo/orders")
    assert back.body["params"] == [{"key": "q", "value": "{{ orderNumber }}"}]
    assert back.body["body"] == created.body["body"]
    assert (await client.get("/api/v1/webhooks/999999/curl")).status == 404


async def test_a_run_exports_its_request_as_sent_with_secrets_as_placeholders(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    created = await client.post(
        "/api/v1/webhooks",
        definition(
            upstream.url("/echo/run"),
            auth={"type": "bearer", "token": "run-bearer-secret"},
            headers=[{"key": "X-Api-Key", "value": "k-secret-123"}],
        ),
    )
    run = await client.post(
        f"/api/v1/webhooks/{created.body['id']}/test",
        {"conversation": {"orderNumber": "A-7", "userName": "Ana"}},
    )
    assert run.status in {200, 201}, run.text
    reply = await client.get(f"/api/v1/runs/{run.body['id']}/curl")
    assert reply.status == 200, reply.text
    assert "run-bearer-secret" not in reply.text
    assert "k-secret-123" not in reply.text
    assert '"$HOOKSMITH_AUTHORIZATION"' in reply.text
    back = await client.post(IMPORT, {"curl": reply.text})
    assert back.status == 200, back.text
    assert back.body["method"] == "POST"
    assert back.body["url"] == upstream.url("/echo/run")
    assert '"order": "A-7"' in back.body["body"]
    assert (await client.get("/api/v1/runs/no-such-run/curl")).status == 404
