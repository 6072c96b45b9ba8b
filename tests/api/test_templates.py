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
    """A webhook whose host is a Context value, with a bearer token."""
    base = upstream.url("/echo/tickets").replace("127.0.0.1", "{{ host }}")
    data = definition(
        base,
        name="Acme tickets",
        context={"host": "127.0.0.1"},
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
