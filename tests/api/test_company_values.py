"""Company secrets and variables through the API: write-only secrets used by name in the URL,
params, headers and auth, only towards their allowed hosts; variables wherever templates go."""

from __future__ import annotations

from typing import Any

from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition
from tests.upstream import Upstream

V1 = "/api/v1"
WEBHOOKS = f"{V1}/webhooks"
SECRETS = f"{V1}/companies/acme/secrets"
VARIABLES = f"{V1}/companies/acme/variables"
API_KEY = "ck-4f1e-company-api-key"
TOKEN = "tok-company-bearer-71c0"
ROTATED = "ck-9a2b-rotated-api-key"


def _header(seen: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in seen["headers"] if k.lower() == name.lower()), None)


async def _put_secret(client: Api, name: str, value: str | None, hosts: list[str]) -> Any:
    body: dict[str, Any] = {"allowed_hosts": hosts}
    if value is not None:
        body["value"] = value
    return await client.put(f"{SECRETS}/{name}", body)


async def _execute(client: Api, hook_id: int, data: dict[str, Any] | None = None) -> Any:
    reply = await client.post(f"{WEBHOOKS}/{hook_id}/execute", data or {})
    assert reply.status == 200, reply.text
    return reply


def _using_secrets(upstream: Upstream, path: str = "/echo/keyed") -> dict[str, Any]:
    return definition(
        upstream.url(path) + "?k={{ secrets.API_KEY }}",
        method="GET",
        body=None,
        params=[{"key": "key", "value": "{{ secrets.API_KEY }}"}],
        headers=[{"key": "X-Custom", "value": "{{ secrets.API_KEY }}"}],
        auth={"type": "bearer", "token": "{{ secrets.TOKEN }}"},
        custom_variables=[{"name": "echoed", "mapper": "response.query"}],
    )


async def test_a_secret_is_write_only_rotatable_and_deletable(
    api: ApiFactory, world: World
) -> None:
    client = await api(token=world.acme.token)
    created = await _put_secret(client, "API_KEY", API_KEY, ["api.example.com", "*.Example.org"])
    assert created.status == 200, created.text
    assert created.body["allowed_hosts"] == ["api.example.com", "*.example.org"]
    assert created.body["rotated_at"] is None
    assert API_KEY not in created.text

    listed = await client.get(SECRETS)
    assert [item["name"] for item in listed.body] == ["API_KEY"]
    assert set(listed.body[0]) == {"name", "allowed_hosts", "created_at", "rotated_at", "used_by"}
    assert API_KEY not in listed.text

    rotated = await _put_secret(client, "API_KEY", ROTATED, ["api.example.com"])
    assert rotated.body["rotated_at"] is not None
    assert ROTATED not in rotated.text
    hosts_only = await _put_secret(client, "API_KEY", None, ["api.example.net"])
    assert hosts_only.status == 200, hosts_only.text
    assert hosts_only.body["allowed_hosts"] == ["api.example.net"]

    # An agency user of acme's agency sees the same secret, still without its value.
    agency = await api(login=world.north_admin.email)
    seen = await agency.get(SECRETS)
    assert [item["name"] for item in seen.body] == ["API_KEY"]
    assert ROTATED not in seen.text

    assert (await client.delete(f"{SECRETS}/API_KEY")).status == 204
    assert (await client.get(SECRETS)).body == []
    gone = await client.delete(f"{SECRETS}/API_KEY")
    assert gone.status == 404
    assert gone.body["error"]["field"] == "name"


async def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    api: ApiFactory, world: World
) -> None:
    client = await api(token=world.acme.token)
    cases = [
        ("1BAD", {"value": "v", "allowed_hosts": ["a.example.com"]}, "name"),
        ("A" * 65, {"value": "v", "allowed_hosts": ["a.example.com"]}, "name"),
        ("KEY", {"value": "v", "allowed_hosts": []}, "allowed_hosts"),
        ("KEY", {"value": "v", "allowed_hosts": ["https://a.example.com/x"]}, "allowed_hosts[0]"),
        ("KEY", {"value": "v" * (8 * 1024 + 1), "allowed_hosts": ["a.io"]}, "value"),
        ("KEY", {"value": "", "allowed_hosts": ["a.example.com"]}, "value"),
        ("KEY", {"allowed_hosts": ["a.example.com"]}, "value"),  # a new secret needs a value
    ]
    for name, body, field in cases:
        reply = await client.put(f"{SECRETS}/{name}", body)
        assert reply.status == 422, (name, field, reply.text)
        assert reply.body["error"]["field"] == field, reply.text
    too_big = await client.put(f"{VARIABLES}/BASE", {"value": "x" * (8 * 1024 + 1)})
    assert too_big.status == 422
    assert too_big.body["error"]["field"] == "value"
    bad_name = await client.put(f"{VARIABLES}/has-dash", {"value": "x"})
    assert bad_name.body["error"]["field"] == "name"
    assert (await client.get(SECRETS)).body == []
    assert (await client.get(VARIABLES)).body == []


async def test_secrets_arrive_in_url_params_headers_and_auth_and_never_show(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    await _put_secret(client, "API_KEY", API_KEY, ["127.0.0.1"])
    await _put_secret(client, "TOKEN", TOKEN, ["127.0.0.1"])
    created = await client.post(WEBHOOKS, _using_secrets(upstream))
    assert created.status == 201, created.text
    hook_id = created.body["id"]

    result = await _execute(client, hook_id)
    assert result.body["ok"] is True, result.text
    seen = upstream.received[-1]
    assert seen["query"] == [("k", API_KEY), ("key", API_KEY)]
    assert _header(seen, "X-Custom") == API_KEY
    assert _header(seen, "Authorization") == f"Bearer {TOKEN}"
    # The answer echoes them back: the result, the run and its history show none of them.
    assert API_KEY not in result.text
    assert TOKEN not in result.text
    assert "[redacted]" in result.text
    runs = await client.get(f"{WEBHOOKS}/{hook_id}/runs")
    for run in runs.body["items"]:
        shown = await client.get(f"{V1}/runs/{run['id']}")
        assert API_KEY not in shown.text
        assert TOKEN not in shown.text
    tested = await client.post(f"{WEBHOOKS}/{hook_id}/test", {"conversation": {}})
    assert tested.body["result"]["ok"] is True, tested.text
    assert API_KEY not in tested.text
    assert TOKEN not in tested.text

    listed = await client.get(SECRETS)
    assert {item["name"]: item["used_by"] for item in listed.body} == {
        "API_KEY": ["Order status"],
        "TOKEN": ["Order status"],
    }
    refused = await client.delete(f"{SECRETS}/API_KEY")
    assert refused.status == 409
    assert refused.body["error"]["kind"] == "in_use"
    assert "Order status" in refused.body["error"]["message"]


async def test_a_rotated_secret_is_used_by_the_next_execute(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    await _put_secret(client, "API_KEY", API_KEY, ["127.0.0.1"])
    await _put_secret(client, "TOKEN", TOKEN, ["127.0.0.1"])
    hook_id = (await client.post(WEBHOOKS, _using_secrets(upstream))).body["id"]
    await _execute(client, hook_id)
    assert _header(upstream.received[-1], "X-Custom") == API_KEY

    await _put_secret(client, "API_KEY", ROTATED, ["127.0.0.1"])
    result = await _execute(client, hook_id)
    assert result.body["ok"] is True
    assert _header(upstream.received[-1], "X-Custom") == ROTATED
    assert ROTATED not in result.text


async def test_a_secret_goes_only_to_its_allowed_hosts_even_after_a_redirect(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    await _put_secret(client, "API_KEY", API_KEY, ["127.0.0.1"])
    elsewhere = f"http://localhost:{upstream.port}/echo/elsewhere"
    hook = definition(
        upstream.url("/redirect") + f"?to={elsewhere}",
        method="GET",
        body=None,
        headers=[{"key": "X-Custom", "value": "{{ secrets.API_KEY }}"}],
        custom_variables=[],
    )
    hook_id = (await client.post(WEBHOOKS, hook)).body["id"]
    upstream.received.clear()
    result = await _execute(client, hook_id)
    assert result.body["ok"] is False
    assert result.body["outcome"] == "blocked"
    assert result.body["error"]["kind"] == "host_not_allowed"
    assert "localhost" in result.body["error"]["message"]
    assert [seen["path"] for seen in upstream.received] == ["/redirect"]

    # Not allowed at all: nothing is sent anywhere.
    await _put_secret(client, "API_KEY", None, ["api.example.com"])
    upstream.received.clear()
    refused = await _execute(client, hook_id)
    assert refused.body["error"]["kind"] == "host_not_allowed"
    assert upstream.received == []
    assert API_KEY not in refused.text


async def test_secrets_in_the_body_or_a_mapper_are_refused_at_save(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    in_body = definition(upstream.url("/echo"), body='{"key": "{{ secrets.API_KEY }}"}')
    reply = await client.post(WEBHOOKS, in_body)
    assert reply.status == 422, reply.text
    assert "body" in [item["field"] for item in reply.body["error"]["errors"]]
    in_mapper = definition(
        upstream.url("/echo"),
        custom_variables=[{"name": "leak", "mapper": "secrets.API_KEY"}],
    )
    reply = await client.post(WEBHOOKS, in_mapper)
    assert reply.status == 422, reply.text
    assert reply.body["error"]["errors"][0]["field"] == "custom_variables[0].mapper"
    looked_up = definition(
        upstream.url("/echo"), headers=[{"key": "X-K", "value": "{{ secrets[name] }}"}]
    )
    reply = await client.post(WEBHOOKS, looked_up)
    assert reply.status == 422, reply.text
    assert reply.body["error"]["errors"][0]["field"] == "headers[0].value"
    assert (await client.get(WEBHOOKS)).body["total"] == 0


async def test_variables_render_in_url_and_body_and_unknown_names_are_clear_errors(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    put = await client.put(f"{VARIABLES}/ENV", {"value": "staging/eu"})
    assert put.status == 200, put.text
    assert put.body["value"] == "staging/eu"
    await client.put(f"{VARIABLES}/ACCOUNT", {"value": 'acme "main"'})
    hook = definition(
        upstream.url("/echo/{{ vars.ENV }}"),
        body='{"account": "{{ vars.ACCOUNT }}", "order": "{{ orderNumber }}"}',
    )
    hook_id = (await client.post(WEBHOOKS, hook)).body["id"]
    result = await _execute(client, hook_id, {"orderNumber": "A-1"})
    assert result.body["ok"] is True, result.text
    seen = upstream.received[-1]
    assert seen["path"] == "/echo/staging/eu"  # one path segment: the slash is encoded
    assert seen["body"] == '{"account": "acme \\"main\\"", "order": "A-1"}'
    listed = await client.get(VARIABLES)
    assert {item["name"]: item["used_by"] for item in listed.body} == {
        "ACCOUNT": ["Order status"],
        "ENV": ["Order status"],
    }
    in_use = await client.delete(f"{VARIABLES}/ENV")
    assert in_use.status == 409

    missing = definition(
        upstream.url("/echo"), headers=[{"key": "X-K", "value": "{{ secrets.NOPE }}"}]
    )
    missing_id = (await client.post(WEBHOOKS, missing)).body["id"]
    upstream.received.clear()
    failed = await _execute(client, missing_id)
    assert failed.body["ok"] is False
    assert failed.body["error"]["kind"] == "unknown_secret"
    assert "'NOPE'" in failed.body["error"]["message"]
    assert failed.body["error"]["field"] == "headers[0].value"
    assert upstream.received == []
    no_var = definition(upstream.url("/echo/{{ vars.MISSING }}"))
    no_var_id = (await client.post(WEBHOOKS, no_var)).body["id"]
    failed = await _execute(client, no_var_id)
    assert failed.body["error"]["kind"] == "unknown_variable"
    assert failed.body["error"]["field"] == "url"
