"""The isolation matrix: every /api/v1 route and method, called by callers outside the owner's
scope, answers 404 (403 for admin-only routes), changes nothing and sends nothing upstream.

The matrix is checked against the app's route table, so a new route without an entry fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import fastapi.routing
import pytest

from tests.api.client import Api, Reply
from tests.api.conftest import PASSWORD, ApiFactory, World
from tests.api.helpers import definition
from tests.server import Server
from tests.upstream import Upstream

V1 = "/api/v1"


@dataclass(frozen=True)
class Victim:
    """What belongs to agency north / company acme, and must stay out of reach."""

    webhook_id: int
    run_id: str
    token_id: int
    upstream_url: str
    user_id: int  # the owner's own user: ending its sessions would break the snapshot


@dataclass(frozen=True)
class Outsider:
    name: str
    is_admin: bool
    connect: Callable[[], Awaitable[Api]]


Probe = Callable[[Api, Outsider, Victim], Awaitable[None]]


def _status(reply: Reply, expected: int, field: str | None = None) -> None:
    assert reply.status == expected, reply.text
    if expected >= 400:
        # An invalid definition also lists every fault, in `errors`.
        assert set(reply.body["error"]) - {"errors"} == {"kind", "message", "field"}
    if field is not None:
        assert reply.body["error"]["field"] == field


def _admin_only(outsider: Outsider, reply: Reply, expected_for_admin: int) -> None:
    _status(reply, expected_for_admin if outsider.is_admin else 403)


def _hook(victim: Victim, **overrides: Any) -> dict[str, Any]:
    return definition(victim.upstream_url, **overrides)


async def list_webhooks(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.get(f"{V1}/webhooks")
    _status(reply, 200)
    assert victim.webhook_id not in [item["id"] for item in reply.body["items"]]
    filtered = await api.get(f"{V1}/webhooks", params={"company": "acme"})
    assert filtered.body["total"] == 0


async def create_webhook(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.post(f"{V1}/webhooks", _hook(victim, company="acme"))
    assert reply.status in {403, 422}, reply.text
    assert reply.body["error"]["field"] == "company"


async def get_webhook(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.get(f"{V1}/webhooks/{victim.webhook_id}"), 404)


async def update_webhook(api: Api, outsider: Outsider, victim: Victim) -> None:
    body = _hook(victim, name="taken over", revision=1)
    _status(await api.put(f"{V1}/webhooks/{victim.webhook_id}", body), 404)


async def delete_webhook(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.delete(f"{V1}/webhooks/{victim.webhook_id}"), 404)


async def duplicate_webhook(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.post(f"{V1}/webhooks/{victim.webhook_id}/duplicate"), 404)


async def list_revisions(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.get(f"{V1}/webhooks/{victim.webhook_id}/revisions"), 404)


async def get_revision(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.get(f"{V1}/webhooks/{victim.webhook_id}/revisions/1"), 404)


async def diff_revisions(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.get(f"{V1}/webhooks/{victim.webhook_id}/revisions/1/diff/1"), 404)


async def restore_revision(api: Api, outsider: Outsider, victim: Victim) -> None:
    path = f"{V1}/webhooks/{victim.webhook_id}/revisions/1/restore"
    _status(await api.post(path, {"revision": 1}), 404)


async def run_test(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.post(f"{V1}/webhooks/{victim.webhook_id}/test", {"conversation": {}}), 404)


async def execute_webhook(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.post(f"{V1}/webhooks/{victim.webhook_id}/execute", {}), 404)


async def render_draft(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.post(f"{V1}/render", {"definition": _hook(victim), "conversation": {}})
    _status(reply, 200)
    assert reply.body["response"] is None  # rendered only: nothing was sent


async def check_draft(api: Api, outsider: Outsider, victim: Victim) -> None:
    borrowed = {"definition": _hook(victim, url="https://elsewhere.example/x")}
    reply = await api.post(f"{V1}/drafts/check", borrowed | {"webhook_id": victim.webhook_id})
    _status(reply, 404, "webhook_id")  # whether a save would clear its secret stays unknown
    _status(await api.post(f"{V1}/drafts/check", borrowed), 200)  # pure: reads nothing stored


async def run_draft(api: Api, outsider: Outsider, victim: Victim) -> None:
    borrowed = _hook(victim, auth={"type": "bearer"})  # the victim's stored token, if it could
    reply = await api.post(
        f"{V1}/drafts/run", {"definition": borrowed, "webhook_id": victim.webhook_id}
    )
    _status(reply, 404, "webhook_id")


async def webhook_curl(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.get(f"{V1}/webhooks/{victim.webhook_id}/curl")
    _status(reply, 404)
    assert victim.upstream_url not in reply.text


async def import_curl(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.post(f"{V1}/import/curl", {"curl": f"curl {victim.upstream_url}"})
    _status(reply, 200)  # pure: reads nothing stored, saves nothing, sends nothing


async def import_openapi(api: Api, outsider: Outsider, victim: Victim) -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Victim", "version": "1"},
        "servers": [{"url": victim.upstream_url}],
        "paths": {"/orders": {"get": {"operationId": "listOrders"}}},
    }
    reply = await api.post(f"{V1}/import/openapi", {"document": document})
    _status(reply, 200)  # pure: reads nothing stored, saves nothing, sends nothing


async def run_curl(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.get(f"{V1}/runs/{victim.run_id}/curl")
    _status(reply, 404)
    assert victim.upstream_url not in reply.text


async def list_runs(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.get(f"{V1}/webhooks/{victim.webhook_id}/runs"), 404)


async def get_run(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.get(f"{V1}/runs/{victim.run_id}"), 404)


async def me(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.get(f"{V1}/me")
    _status(reply, 200)
    assert "acme" not in reply.text


async def list_companies(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.get(f"{V1}/companies")
    _status(reply, 200)
    assert "acme" not in [company["slug"] for company in reply.body]


async def create_company(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.post(f"{V1}/companies", {"slug": "sneaky", "name": "x", "agency": "north"})
    _status(reply, 422, field="agency")


async def rotate_callback_secret(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.post(f"{V1}/companies/acme/callback-secret")
    _admin_only(outsider, reply, 404)
    assert "whsec_" not in reply.text


async def list_secrets(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.get(f"{V1}/companies/acme/secrets")
    _status(reply, 404, field="company")
    assert "VICTIM_KEY" not in reply.text


async def put_secret(api: Api, outsider: Outsider, victim: Victim) -> None:
    for name in ("VICTIM_KEY", "NEW_KEY"):
        reply = await api.put(
            f"{V1}/companies/acme/secrets/{name}",
            {"value": "outsider-value", "allowed_hosts": ["evil.example.com"]},
        )
        _status(reply, 404, field="company")


async def delete_secret(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.delete(f"{V1}/companies/acme/secrets/VICTIM_KEY"), 404, field="company")


async def list_variables(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.get(f"{V1}/companies/acme/variables")
    _status(reply, 404, field="company")
    assert "victim-variable" not in reply.text


async def put_variable(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.put(f"{V1}/companies/acme/variables/VICTIM_VAR", {"value": "changed"})
    _status(reply, 404, field="company")


async def delete_variable(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.delete(f"{V1}/companies/acme/variables/VICTIM_VAR"), 404, field="company")


async def list_users(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.get(f"{V1}/users")
    _admin_only(outsider, reply, 200)
    assert "acme.test" not in reply.text
    assert "north.test" not in reply.text


async def create_user(api: Api, outsider: Outsider, victim: Victim) -> None:
    body = {"email": "mole@acme.test", "password": "long enough pw", "company": "acme"}
    _admin_only(outsider, await api.post(f"{V1}/users", body), 422)


async def list_tokens(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.get(f"{V1}/tokens")
    _admin_only(outsider, reply, 200)
    if reply.status == 200:
        assert victim.token_id not in [token["id"] for token in reply.body]


async def create_token(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.post(f"{V1}/tokens", {"name": "mole", "company": "acme"})
    _admin_only(outsider, reply, 422)


async def revoke_token(api: Api, outsider: Outsider, victim: Victim) -> None:
    _admin_only(outsider, await api.delete(f"{V1}/tokens/{victim.token_id}"), 404)


async def end_user_sessions(api: Api, outsider: Outsider, victim: Victim) -> None:
    _admin_only(outsider, await api.delete(f"{V1}/users/{victim.user_id}/sessions"), 404)


async def sign_in(api: Api, outsider: Outsider, victim: Victim) -> None:
    reply = await api.call(
        "POST", f"{V1}/session", {"email": "ana@acme.test", "password": "guess"}, csrf=False
    )
    _status(reply, 401)


async def sign_out(api: Api, outsider: Outsider, victim: Victim) -> None:
    _status(await api.delete(f"{V1}/session"), 204)


MATRIX: dict[tuple[str, str], Probe] = {
    ("GET", f"{V1}/webhooks"): list_webhooks,
    ("POST", f"{V1}/webhooks"): create_webhook,
    ("GET", f"{V1}/webhooks/{{webhook_id}}"): get_webhook,
    ("PUT", f"{V1}/webhooks/{{webhook_id}}"): update_webhook,
    ("DELETE", f"{V1}/webhooks/{{webhook_id}}"): delete_webhook,
    ("POST", f"{V1}/webhooks/{{webhook_id}}/duplicate"): duplicate_webhook,
    ("GET", f"{V1}/webhooks/{{webhook_id}}/revisions"): list_revisions,
    ("GET", f"{V1}/webhooks/{{webhook_id}}/revisions/{{revision}}"): get_revision,
    ("GET", f"{V1}/webhooks/{{webhook_id}}/revisions/{{before}}/diff/{{after}}"): diff_revisions,
    ("POST", f"{V1}/webhooks/{{webhook_id}}/revisions/{{revision}}/restore"): restore_revision,
    ("POST", f"{V1}/webhooks/{{webhook_id}}/test"): run_test,
    ("POST", f"{V1}/webhooks/{{webhook_id}}/execute"): execute_webhook,
    ("GET", f"{V1}/webhooks/{{webhook_id}}/runs"): list_runs,
    ("POST", f"{V1}/render"): render_draft,
    ("POST", f"{V1}/drafts/check"): check_draft,
    ("POST", f"{V1}/drafts/run"): run_draft,
    ("GET", f"{V1}/webhooks/{{webhook_id}}/curl"): webhook_curl,
    ("POST", f"{V1}/import/curl"): import_curl,
    ("POST", f"{V1}/import/openapi"): import_openapi,
    ("GET", f"{V1}/runs/{{run_id}}/curl"): run_curl,
    ("GET", f"{V1}/runs/{{run_id}}"): get_run,
    ("GET", f"{V1}/me"): me,
    ("GET", f"{V1}/companies"): list_companies,
    ("POST", f"{V1}/companies"): create_company,
    ("POST", f"{V1}/companies/{{company}}/callback-secret"): rotate_callback_secret,
    ("GET", f"{V1}/companies/{{company}}/secrets"): list_secrets,
    ("PUT", f"{V1}/companies/{{company}}/secrets/{{name}}"): put_secret,
    ("DELETE", f"{V1}/companies/{{company}}/secrets/{{name}}"): delete_secret,
    ("GET", f"{V1}/companies/{{company}}/variables"): list_variables,
    ("PUT", f"{V1}/companies/{{company}}/variables/{{name}}"): put_variable,
    ("DELETE", f"{V1}/companies/{{company}}/variables/{{name}}"): delete_variable,
    ("GET", f"{V1}/users"): list_users,
    ("POST", f"{V1}/users"): create_user,
    ("DELETE", f"{V1}/users/{{user_id}}/sessions"): end_user_sessions,
    ("GET", f"{V1}/tokens"): list_tokens,
    ("POST", f"{V1}/tokens"): create_token,
    ("DELETE", f"{V1}/tokens/{{token_id}}"): revoke_token,
    ("POST", f"{V1}/session"): sign_in,
    ("DELETE", f"{V1}/session"): sign_out,
}


def routes_of(server: Server) -> set[tuple[str, str]]:
    """Every (method, path) of the app's route table under /api/v1, included routers too."""
    routes: Iterable[Any] = server.app.routes
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)  # FastAPI ≥ 0.16x
    if flatten is not None:
        routes = flatten(server.app.routes)
    found = {
        (method, str(route.path))
        for route in routes
        if str(route.path or "").startswith(V1)
        for method in (route.methods or ())
    }
    assert found, "no /api/v1 routes found in the route table"
    return found


async def _snapshot(owner: Api, victim: Victim) -> list[Any]:
    paths = [
        f"{V1}/webhooks/{victim.webhook_id}",
        f"{V1}/webhooks/{victim.webhook_id}/runs",
        f"{V1}/webhooks/{victim.webhook_id}/revisions",
        f"{V1}/webhooks",
        f"{V1}/companies",
        f"{V1}/companies/acme/secrets",
        f"{V1}/companies/acme/variables",
        f"{V1}/users",
        f"{V1}/tokens",
    ]
    seen = [(await owner.get(path)).body for path in paths]
    for token in seen[-1]:
        token.pop("last_used_at")  # an outsider's own token records its use
    return seen


async def test_every_route_has_an_entry_in_the_matrix(server: Server) -> None:
    assert routes_of(server) == set(MATRIX)


# Every route times every outsider: about 90 s on a busy two-core machine, near the default 120.
@pytest.mark.timeout(300)
async def test_outsiders_get_404_and_change_nothing(
    server: Server, api: ApiFactory, world: World, upstream: Upstream
) -> None:
    assert routes_of(server) == set(MATRIX)
    owner = await api(login=world.north_admin.email)
    created = await owner.post(
        f"{V1}/webhooks",
        definition(
            upstream.url("/echo/victim"),
            company="acme",
            auth={"type": "bearer", "token": "victim-secret-token"},
        ),
    )
    hook_id = created.body["id"]
    stored = await owner.put(
        f"{V1}/companies/acme/secrets/VICTIM_KEY",
        {"value": "victim-company-secret", "allowed_hosts": ["api.example.com"]},
    )
    assert stored.status == 200, stored.text
    stored = await owner.put(
        f"{V1}/companies/acme/variables/VICTIM_VAR", {"value": "victim-variable"}
    )
    assert stored.status == 200, stored.text
    run = await owner.post(f"{V1}/webhooks/{hook_id}/test", {"conversation": {}})
    victim = Victim(
        hook_id,
        run.body["id"],
        world.acme.token_id,
        upstream.url("/echo/victim"),
        world.north_admin.user_id,
    )
    upstream.received.clear()
    before = await _snapshot(owner, victim)

    async def logged_in(email: str) -> Api:
        client = await api()
        assert (await client.login(email, PASSWORD)).status == 200
        return client

    async def with_token(token: str) -> Api:
        return await api(token=token)

    outsiders = [
        Outsider("south admin (session)", True, lambda: logged_in(world.south_admin.email)),
        Outsider("south agency token", False, lambda: with_token(world.south_admin.token)),
        Outsider("cobalt company token", False, lambda: with_token(world.cobalt.token)),
        Outsider("cobalt user (session)", False, lambda: logged_in(world.cobalt.email)),
        Outsider("bolt company token", False, lambda: with_token(world.bolt.token)),
    ]
    for outsider in outsiders:
        for (method, path), probe in MATRIX.items():
            client = await outsider.connect()
            try:
                await probe(client, outsider, victim)
            except AssertionError as error:
                raise AssertionError(f"{outsider.name}: {method} {path}: {error}") from None
        assert await _snapshot(owner, victim) == before, outsider.name
        assert upstream.received == [], outsider.name
