"""Webhook templates: the built-in library, saving a webhook as a template agency-wide or
company-wide, versions and their diff, creating a webhook from a template, and applying a newer
version (a new revision that keeps the webhook's name, Context values and secret)."""

from __future__ import annotations

import json
from typing import Any

from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition
from tests.upstream import Upstream

V1 = "/api/v1"
TEMPLATES = f"{V1}/templates"
TOKEN = "tok-templates-kept-secret"


def _authorization(upstream: Upstream) -> str | None:
    for key, value in upstream.received[-1]["headers"]:
        if key.lower() == "authorization":
            return str(value)
    return None


async def _ok(reply: Any, status: int = 200) -> dict[str, Any]:
    assert reply.status == status, reply.text
    body: dict[str, Any] = reply.body
    return body


async def _tenant_webhook(client: Api, upstream: Upstream, **overrides: Any) -> dict[str, Any]:
    """A webhook whose path names the tenant by a Context value, with a bearer token."""
    base = upstream.url("/echo/{{ tenant }}/tickets")
    data = definition(
        base,
        name="Acme tickets",
        context={"tenant": "acme"},
        auth={"type": "bearer", "token": TOKEN},
        headers=[{"key": "Accept", "value": "application/json"}],
    )
    return await _ok(await client.post(f"{V1}/webhooks", data | overrides), 201)


async def test_built_ins_are_listed_with_their_context_keys_and_secret(
    api: ApiFactory, world: World
) -> None:
    acme = await api(token=world.acme.token)
    listed = (await acme.get(TEMPLATES)).body
    built = {item["key"]: item for item in listed if item["kind"] == "built-in"}
    assert set(built) >= {
        "helpdesk-ticket",
        "order-status",
        "crm-contact-upsert",
        "calendar-availability",
    }
    ticket = built["helpdesk-ticket"]
    assert ticket["context"] == {"subdomain": ""}
    assert ticket["secret"] == "token"
    assert ticket["version"] == 2
    assert "certainly." in ticket["definition"]["body"]
    assert built["crm-contact-upsert"]["secret"] == "password"
    shown = await _ok(await acme.get(f"{TEMPLATES}/calendar-availability"))
    assert shown["context"] == {"account": "", "calendar_id": ""}
    diff = await _ok(await acme.get(f"{TEMPLATES}/helpdesk-ticket/versions/1/diff/2"))
    assert {change["field"] for change in diff["changes"]} == {"body", "retry"}
    missing = await acme.get(f"{TEMPLATES}/no-such-template")
    assert missing.status == 404
    assert missing.body["error"]["field"] == "template"
    assert (await acme.delete(f"{TEMPLATES}/helpdesk-ticket")).status == 403
    assert (await acme.put(f"{TEMPLATES}/helpdesk-ticket", {"version": 2})).status == 403


async def test_create_from_a_built_in_asks_context_and_secret_then_runs(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    acme = await api(token=world.acme.token)
    path = f"{TEMPLATES}/helpdesk-ticket/webhooks"
    no_context = await acme.post(path, {"name": "Tickets", "secret": TOKEN})
    assert no_context.status == 422, no_context.text
    assert no_context.body["error"]["field"] == "context.subdomain"
    no_secret = await acme.post(path, {"context": {"subdomain": "acme"}})
    assert no_secret.status == 422
    assert no_secret.body["error"]["field"] == "secret"
    stray = await acme.post(path, {"context": {"subdomain": "acme", "x": "1"}, "secret": TOKEN})
    assert stray.body["error"]["field"] == "context.x"
    assert (await acme.get(f"{V1}/webhooks")).body["total"] == 0  # refusals saved nothing

    made = await _ok(
        await acme.post(
            path, {"name": "Acme tickets", "context": {"subdomain": "acme"}, "secret": TOKEN}
        ),
        201,
    )
    assert made["url"] == "https://{{ subdomain }}.example-helpdesk.com/api/v2/tickets"
    assert made["context"] == {"subdomain": "acme"}
    assert made["auth"] == {"type": "bearer", "token_set": True}
    assert made["needs_secret"] is None
    assert TOKEN not in json.dumps(made)
    origin = await _ok(await acme.get(f"{V1}/webhooks/{made['id']}/template"))
    assert origin["template"] == "helpdesk-ticket"
    assert origin["version"] == 2
    assert origin["newer"] is False
    assert origin["changes"] == []


async def test_every_built_in_executes_against_a_real_upstream(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    """The built-ins' URLs are https with a fixed domain, so a Context value cannot point them
    at the local upstream: after creating each (which validates it), the test points its URL's
    base at the upstream and runs it with the article's conversation data."""
    acme = await api(token=world.acme.token)
    answers = {
        "helpdesk-ticket": {"ticket": {"id": 4211, "status": "open", "url": "https://t/4211"}},
        "order-status": {
            "order": {
                "fulfillment_status": "fulfilled",
                "financial_status": "paid",
                "fulfillments": [{"tracking_company": "DHL", "tracking_url": "https://d/1"}],
            }
        },
        "crm-contact-upsert": {"id": "901", "new": True},
        "calendar-availability": {"slots": [{"start": "2026-12-01T09:00:00Z"}, {"start": "b"}]},
    }
    expected = {
        "helpdesk-ticket": {"ticketId": 4211, "ticketStatus": "open"},
        "order-status": {"orderStatus": "fulfilled", "carrier": "DHL"},
        "crm-contact-upsert": {"contactId": "901", "contactIsNew": True},
        "calendar-availability": {"firstFreeSlot": "2026-12-01T09:00:00Z", "freeSlotCount": 2},
    }
    conversation = {
        "certainly": {
            "sessionId": 77,
            "reply": 'My order "A-1" never came',
            "from": "user-9",
            "botId": "bot-1",
            "extractedData": {
                "orderNumber": "A-1",
                "email": "eve@example.com",
                "date": "2026-12-01",
            },
        },
        "fb": {"firstName": "Eve", "lastName": "Doe"},
    }
    for key, answer in answers.items():
        template = await _ok(await acme.get(f"{TEMPLATES}/{key}"))
        context = {name: "tenant" for name in template["context"]}
        made = await _ok(
            await acme.post(
                f"{TEMPLATES}/{key}/webhooks",
                {"context": context, "secret": TOKEN, "username": "api"},
            ),
            201,
        )
        upstream.scripted[key] = (200, "application/json", json.dumps(answer).encode())
        path = made["url"].split(".com", 1)[1]
        pointed = {
            name: value
            for name, value in made.items()
            if name
            not in {
                "id",
                "revision",
                "company",
                "needs_secret",
                "created_at",
                "updated_at",
                "created_by",
                "updated_by",
            }
        }
        pointed |= {"url": upstream.url(f"/scripted/{key}{path}"), "revision": made["revision"]}
        pointed["auth"] = {"type": made["auth"]["type"]} | (
            {"username": made["auth"]["username"]} if "username" in made["auth"] else {}
        )
        upstream.received.clear()
        await _ok(
            await acme.put(
                f"{V1}/webhooks/{made['id']}", pointed | {"auth": pointed["auth"] | _secret(made)}
            )
        )
        run = await _ok(
            await acme.post(f"{V1}/webhooks/{made['id']}/test", {"conversation": conversation})
        )
        assert run["result"]["ok"] is True, (key, run["result"])
        variables = run["result"]["custom_variables"]
        for name, value in expected[key].items():
            assert variables[name] == value, (key, name, variables)
        sent = upstream.received[-1]
        if sent["body"]:
            body = json.loads(sent["body"])  # the template's body renders as JSON
            assert "A-1" in sent["body"] or "user-9" in sent["body"], body
        assert _authorization(upstream) is not None


def _secret(made: dict[str, Any]) -> dict[str, Any]:
    return {"password": TOKEN} if made["auth"]["type"] == "basic" else {"token": TOKEN}


async def test_save_as_template_holds_no_secret_nor_context_values(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    acme = await api(login=world.acme.email)
    hook = await _tenant_webhook(acme, upstream)
    saved = await _ok(
        await acme.post(TEMPLATES, {"webhook_id": hook["id"], "description": "Our tickets"}), 201
    )
    assert saved["kind"] == "company"
    assert saved["owner"] == "acme"
    assert saved["version"] == 1
    assert saved["name"] == "Acme tickets"
    assert saved["context"] == {"tenant": ""}
    assert saved["secret"] == "token"
    assert TOKEN not in json.dumps(saved)
    assert "name" not in saved["definition"]
    origin = await _ok(await acme.get(f"{V1}/webhooks/{hook['id']}/template"))
    assert (origin["template"], origin["version"], origin["newer"]) == (saved["key"], 1, False)

    agency_wide = await acme.post(TEMPLATES, {"webhook_id": hook["id"], "scope": "agency"})
    assert agency_wide.status == 403, agency_wide.text
    assert agency_wide.body["error"]["field"] == "scope"
    leaky = await acme.post(
        f"{V1}/webhooks",
        definition(upstream.url("/echo"), headers=[{"key": "X-Api-Key", "value": "k-123"}]),
    )
    refused = await acme.post(TEMPLATES, {"webhook_id": leaky.body["id"]})
    assert refused.status == 422
    assert refused.body["error"]["field"] == "headers[0].value"
    for bad, field in (
        ({}, "webhook_id"),
        ({"webhook_id": "1"}, "webhook_id"),
        ({"webhook_id": hook["id"], "scope": "world"}, "scope"),
        ({"webhook_id": hook["id"], "name": " "}, "name"),
        ([1], "body"),
    ):
        reply = await acme.post(TEMPLATES, bad)
        assert reply.status == 422, (bad, reply.text)
        assert reply.body["error"]["field"] == field
    keys = [item["key"] for item in (await acme.get(TEMPLATES)).body if item["kind"] != "built-in"]
    assert keys == [saved["key"]]  # the refusals saved nothing


async def test_tenants_see_only_their_agency_and_company_templates(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    admin = await api(login=world.north_admin.email)
    hook = await _tenant_webhook(admin, upstream, company="acme")
    agency = await _ok(
        await admin.post(TEMPLATES, {"webhook_id": hook["id"], "scope": "agency"}), 201
    )
    company = await _ok(
        await admin.post(TEMPLATES, {"webhook_id": hook["id"], "name": "Acme only"}), 201
    )
    assert (agency["kind"], agency["owner"]) == ("agency", "north")
    assert (company["kind"], company["owner"]) == ("company", "acme")

    def stored(reply: Any) -> set[str]:
        return {item["key"] for item in reply.body if item["kind"] != "built-in"}

    acme = await api(token=world.acme.token)
    bolt = await api(token=world.bolt.token)
    cobalt = await api(token=world.cobalt.token)
    south = await api(login=world.south_admin.email)
    assert stored(await acme.get(TEMPLATES)) == {agency["key"], company["key"]}
    assert stored(await bolt.get(TEMPLATES)) == {agency["key"]}
    assert stored(await cobalt.get(TEMPLATES)) == set()
    assert stored(await south.get(TEMPLATES)) == set()
    for outsider in (cobalt, south):
        for key in (agency["key"], company["key"]):
            assert (await outsider.get(f"{TEMPLATES}/{key}")).status == 404
            assert (await outsider.delete(f"{TEMPLATES}/{key}")).status == 404
            made = await outsider.post(
                f"{TEMPLATES}/{key}/webhooks", {"context": {"tenant": "x"}, "secret": "s"}
            )
            assert made.status == 404
    assert (await bolt.get(f"{TEMPLATES}/{company['key']}")).status == 404
    # A company's users use their agency's templates but do not change them.
    assert (await acme.put(f"{TEMPLATES}/{agency['key']}", {"version": 1})).status == 403
    assert (await acme.delete(f"{TEMPLATES}/{agency['key']}")).status == 403
    # A company template's webhooks stay in its company.
    elsewhere = await admin.post(
        f"{TEMPLATES}/{company['key']}/webhooks",
        {"context": {"tenant": "acme"}, "secret": "s", "company": "bolt"},
    )
    assert elsewhere.status == 422
    assert elsewhere.body["error"]["field"] == "company"
    made = await _ok(
        await bolt.post(
            f"{TEMPLATES}/{agency['key']}/webhooks",
            {"name": "Bolt tickets", "context": {"tenant": "acme"}, "secret": "s"},
        ),
        201,
    )
    assert made["company"] == "bolt"
    assert (await acme.delete(f"{TEMPLATES}/{company['key']}")).status == 204
    assert (await acme.get(f"{TEMPLATES}/{company['key']}")).status == 404


async def test_a_newer_version_is_shown_and_applied_only_on_request(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    admin = await api(login=world.north_admin.email)
    source = await _tenant_webhook(admin, upstream, company="acme")
    template = await _ok(
        await admin.post(TEMPLATES, {"webhook_id": source["id"], "scope": "agency"}), 201
    )
    key = template["key"]
    acme = await api(login=world.acme.email)
    made = await _ok(
        await acme.post(
            f"{TEMPLATES}/{key}/webhooks",
            {"name": "Acme's own name", "context": {"tenant": "acme"}, "secret": TOKEN},
        ),
        201,
    )
    hook_id = made["id"]
    # The webhook's own edit of a field the template leaves alone survives the apply.
    own = {k: v for k, v in made.items() if k in definition() or k in {"context", "headers"}}
    own |= {"timeout": 9.0, "auth": {"type": "bearer"}, "revision": 1}
    mine = await _ok(await acme.put(f"{V1}/webhooks/{hook_id}", own))
    assert mine["revision"] == 2

    stale = await admin.put(f"{TEMPLATES}/{key}", {"version": 7})
    assert stale.status == 409
    assert stale.body["error"]["field"] == "version"
    newer = dict(template["definition"])
    newer["url"] = template["definition"]["url"].replace("/tickets", "/tickets/v2")
    newer["headers"] = [
        {"key": "Accept", "value": "application/json"},
        {"key": "X-V", "value": "2"},
    ]
    secret_given = await admin.put(
        f"{TEMPLATES}/{key}",
        {"version": 1, "definition": newer | {"auth": {"type": "bearer", "token": "t"}}},
    )
    assert secret_given.status == 422
    assert secret_given.body["error"]["field"] == "auth.token"
    broken = await admin.put(
        f"{TEMPLATES}/{key}", {"version": 1, "definition": newer | {"body": "{{ x"}}
    )
    assert broken.status == 422
    assert broken.body["error"]["field"] == "body"
    updated = await _ok(
        await admin.put(
            f"{TEMPLATES}/{key}",
            {"version": 1, "definition": newer, "description": "Now with a version header"},
        )
    )
    assert updated["version"] == 2
    diff = await _ok(await acme.get(f"{TEMPLATES}/{key}/versions/1/diff/2"))
    assert {change["field"] for change in diff["changes"]} == {"url", "headers"}
    assert (await acme.get(f"{TEMPLATES}/{key}/versions/1/diff/3")).status == 404

    # Nothing changed on its own: the webhook is as it was, and says a newer version exists.
    still = await _ok(await acme.get(f"{V1}/webhooks/{hook_id}"))
    assert (still["revision"], still["url"]) == (2, made["url"])
    origin = await _ok(await acme.get(f"{V1}/webhooks/{hook_id}/template"))
    assert (origin["version"], origin["newest"], origin["newer"]) == (1, 2, True)
    assert {change["field"] for change in origin["changes"]} == {"url", "headers"}

    stale_apply = await acme.post(f"{V1}/webhooks/{hook_id}/template/apply", {"revision": 1})
    assert stale_apply.status == 409
    applied = await _ok(await acme.post(f"{V1}/webhooks/{hook_id}/template/apply", {"revision": 2}))
    assert applied["revision"] == 3
    assert applied["name"] == "Acme's own name"
    assert applied["context"] == {"tenant": "acme"}
    assert applied["timeout"] == 9.0  # its own edit: the template did not change the timeout
    assert applied["url"].endswith("/tickets/v2")
    assert applied["headers"][-1] == {"key": "X-V", "value": "2"}
    assert applied["auth"] == {"type": "bearer", "token_set": True}
    revisions = (await acme.get(f"{V1}/webhooks/{hook_id}/revisions")).body
    assert [item["revision"] for item in revisions["items"]] == [3, 2, 1]
    origin = await _ok(await acme.get(f"{V1}/webhooks/{hook_id}/template"))
    assert (origin["version"], origin["newer"]) == (2, False)
    again = await acme.post(f"{V1}/webhooks/{hook_id}/template/apply", {"revision": 3})
    assert again.status == 422
    assert again.body["error"]["field"] == "template"

    upstream.received.clear()
    run = await _ok(await acme.post(f"{V1}/webhooks/{hook_id}/test", {"conversation": {}}))
    assert run["result"]["ok"] is True, json.dumps(run["result"])[:600]
    assert upstream.received[-1]["path"] == "/echo/acme/tickets/v2"
    assert _authorization(upstream) == f"Bearer {TOKEN}"  # the stored secret was kept


async def test_a_webhook_made_from_no_template_has_no_origin(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    acme = await api(token=world.acme.token)
    hook = await _tenant_webhook(acme, upstream)
    origin = await _ok(await acme.get(f"{V1}/webhooks/{hook['id']}/template"))
    assert origin["template"] is None
    assert origin["newer"] is False
    reply = await acme.post(f"{V1}/webhooks/{hook['id']}/template/apply", {"revision": 1})
    assert reply.status == 404
    assert reply.body["error"]["field"] == "template"
    assert (await acme.post(f"{V1}/webhooks/{hook['id']}/template/apply", {})).status == 422


async def test_odd_input_to_every_template_route_is_a_clear_4xx(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    acme = await api(token=world.acme.token)
    hook = await _tenant_webhook(acme, upstream)
    saved = await _ok(await acme.post(TEMPLATES, {"webhook_id": hook["id"]}), 201)
    key = saved["key"]
    odd: list[Any] = [
        None,
        [],
        "x",
        {"version": True},
        {"version": 1, "definition": []},
        {"version": 1, "definition": {"auth": "bearer"}},
        {"version": 1, "definition": {"auth": {"type": "magic"}}},
        {"version": 1, "definition": {"url": "ftp://x", "context": {"a": 5}}},
        {"version": 1, "definition": {"url": "https://x.example", "context": []}},
        {"version": 1, "definition": {"headers": ["x", {"key": 1}]}},
        {"version": 1, "webhook_id": 99999},
        {"version": 1, "name": 7},
        {"name": "x" * 300, "context": {"tenant": 5}, "secret": 5, "username": ""},
        {"context": "tenant", "secret": ""},
        {"context": {"tenant": "x" * 2000}, "secret": "s"},
        {"revision": 1, "context": {"nope": "1"}},
    ]
    calls = [
        ("PUT", f"{TEMPLATES}/{key}"),
        ("POST", f"{TEMPLATES}/{key}/webhooks"),
        ("POST", f"{TEMPLATES}/helpdesk-ticket/webhooks"),
        ("POST", TEMPLATES),
        ("POST", f"{V1}/webhooks/{hook['id']}/template/apply"),
    ]
    for method, path in calls:
        for body in odd:
            reply = await acme.call(method, path, body)
            assert 400 <= reply.status < 500, (method, path, body, reply.text)
            assert reply.body["error"]["message"], reply.text
    for path in (
        f"{TEMPLATES}/UPPER",
        f"{TEMPLATES}/99999999999",
        f"{TEMPLATES}/{key}/versions/0/diff/1",
        f"{TEMPLATES}/{key}/versions/1/diff/99999999999",
    ):
        reply = await acme.get(path)
        assert reply.status in {404, 422}, (path, reply.text)
    # Nothing changed: still version 1, no webhook added.
    assert (await acme.get(f"{TEMPLATES}/{key}")).body["version"] == 1
    assert (await acme.get(f"{V1}/webhooks")).body["total"] == 1


async def test_applying_a_version_with_a_new_context_key_and_auth_asks_for_them(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    acme = await api(token=world.acme.token)
    hook = await _tenant_webhook(acme, upstream)
    template = await _ok(await acme.post(TEMPLATES, {"webhook_id": hook["id"]}), 201)
    newer = dict(template["definition"])
    newer["url"] = upstream.url("/echo/{{ tenant }}/{{ region }}/tickets")
    newer["context"] = {"tenant": "", "region": ""}
    newer["auth"] = {"type": "basic", "username": "svc"}
    await _ok(await acme.put(f"{TEMPLATES}/{template['key']}", {"version": 1, "definition": newer}))
    origin = await _ok(await acme.get(f"{V1}/webhooks/{hook['id']}/template"))
    assert {c["field"] for c in origin["changes"]} == {
        "url",
        "context",
        "auth.type",
        "auth.username",
    }
    path = f"{V1}/webhooks/{hook['id']}/template/apply"
    missing = await acme.post(path, {"revision": 1})
    assert missing.status == 422
    assert missing.body["error"]["field"] == "context.region"
    assert (await acme.get(f"{V1}/webhooks/{hook['id']}")).body["revision"] == 1
    applied = await _ok(
        await acme.post(path, {"revision": 1, "context": {"region": "eu"}, "secret": "pw-9"})
    )
    assert applied["context"] == {"tenant": "acme", "region": "eu"}
    assert applied["auth"] == {"type": "basic", "username": "svc", "password_set": True}
    upstream.received.clear()
    run = await _ok(await acme.post(f"{V1}/webhooks/{hook['id']}/test", {"conversation": {}}))
    assert run["result"]["ok"] is True, json.dumps(run["result"])[:600]
    assert upstream.received[-1]["path"] == "/echo/acme/eu/tickets"
    assert (_authorization(upstream) or "").startswith("Basic ")
