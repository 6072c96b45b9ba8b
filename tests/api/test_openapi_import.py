"""OpenAPI import through the API: operations, then one as definition data; nothing is saved."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import ApiFactory, World
from tests.upstream import Upstream

IMPORT = "/api/v1/import/openapi"
DATA = Path(__file__).parent.parent / "data" / "openapi"

# An API whose answer is what tests/upstream.py's /echo sends back, as a YAML document.
ORDERS = """
openapi: 3.0.3
info: {title: Orders, version: "1"}
servers: [{url: "%s"}]
security: [{token: []}]
paths:
  /orders/{orderId}/notes:
    post:
      operationId: addOrderNote
      summary: Add a note to an order
      parameters:
        - {name: orderId, in: path, required: true, schema: {type: string}}
        - {name: notify, in: query, required: true, schema: {type: boolean}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [text]
              properties:
                text: {type: string, example: "Where is my parcel?"}
                priority: {type: integer, default: 1}
      responses:
        "201":
          description: The note as received
          content:
            application/json:
              schema:
                type: object
                properties:
                  method: {type: string}
                  path: {type: string}
components:
  securitySchemes:
    token: {type: http, scheme: bearer}
"""


async def test_from_operations_to_a_saved_webhook_that_runs_and_maps(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    document = ORDERS % upstream.url("/echo")
    listed = await client.post(IMPORT, {"document": document})
    assert listed.status == 200, listed.text
    assert listed.body == {
        "operations": [
            {
                "method": "POST",
                "path": "/orders/{orderId}/notes",
                "operation_id": "addOrderNote",
                "summary": "Add a note to an order",
            }
        ]
    }
    reply = await client.post(IMPORT, {"document": document, "operation": "addOrderNote"})
    assert reply.status == 200, reply.text
    imported = reply.body
    assert imported["definition"]["url"] == upstream.url("/echo/orders/{{ orderId }}/notes")
    assert imported["definition"]["params"] == [{"key": "notify", "value": "{{ notify }}"}]
    assert imported["suggested_mappers"] == [
        {"name": "method", "mapper": "response.method"},
        {"name": "path", "mapper": "response.path"},
    ]
    assert (await client.get("/api/v1/webhooks")).body["total"] == 0
    # Saving it as imported is refused until the bearer token is given: the field is named.
    bare = await client.post("/api/v1/webhooks", imported["definition"])
    assert bare.status == 422, bare.text
    assert bare.body["error"]["field"].startswith("auth")
    chosen = imported["definition"] | {
        "auth": {"type": "bearer", "token": "order-token"},
        "custom_variables": imported["suggested_mappers"],
    }
    saved = await client.post("/api/v1/webhooks", chosen)
    assert saved.status == 201, saved.text
    run = await client.post(
        f"/api/v1/webhooks/{saved.body['id']}/test",
        {"conversation": {"orderId": "A-7", "notify": "yes", "text": 'say "hi"', "priority": 2}},
    )
    assert run.status in {200, 201}, run.text
    seen = upstream.received[-1]
    assert seen["path"] == "/echo/orders/A-7/notes"
    assert seen["query"] == [("notify", "yes")]
    assert ("Authorization", "Bearer order-token") in seen["headers"]
    assert '"text": "say \\"hi\\""' in seen["body"]
    assert run.body["result"]["custom_variables"] == {
        "method": "POST",
        "path": "/echo/orders/A-7/notes",
    }


async def test_real_documents_as_objects_and_text(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    github = (DATA / "github-issues.json").read_text()
    reply = await client.post(IMPORT, {"document": github, "operation": "issues/get"})
    assert reply.status == 200, reply.text
    assert reply.body["definition"]["url"].endswith("/issues/{{ issue_number }}")
    weather = (DATA / "weather-3.1.yaml").read_text()
    reply = await client.post(
        IMPORT,
        {"document": weather, "operation": "getForecast", "server": "https://w.example.com"},
    )
    assert reply.status == 200, reply.text
    assert reply.body["definition"]["url"] == "https://w.example.com/forecast"
    # hooksmith's own document: FastAPI writes OpenAPI 3.1 without servers.
    own = (await client.get("/openapi.json")).body
    reply = await client.post(
        IMPORT,
        {"document": own, "operation": "GET /api/v1/webhooks/{webhook_id}",
         "server": "https://hooks.example.com"},
    )  # fmt: skip
    assert reply.status == 200, reply.text
    assert reply.body["definition"]["url"] == (
        "https://hooks.example.com/api/v1/webhooks/{{ webhook_id }}"
    )


async def test_bad_input_answers_422_naming_the_field(api: ApiFactory, world: World) -> None:
    client = await api(token=world.acme.token)
    github = (DATA / "github-issues.json").read_text()
    cases = [
        ({"document": ""}, "document"),
        ({"document": 7}, "document"),
        ({"document": "swagger: '2.0'"}, "openapi"),
        ({"document": "a: *nowhere"}, "document"),
        ({"document": github, "operation": "nope"}, "operation"),
        ({"document": github, "operation": ["GET /x"]}, "operation"),
        ({"document": github, "operation": "issues/get", "server": "file:///etc"}, "server"),
        ({"document": github, "operation": "issues/get", "server": 5}, "server"),
    ]
    for body, field in cases:
        reply = await client.post(IMPORT, body)
        assert reply.status == 422, (body, reply.text)
        assert reply.body["error"]["field"] == field, (body, reply.text)
    assert (await client.post(IMPORT, {"doc": github})).status == 422
    assert (await client.get("/api/v1/webhooks")).body["total"] == 0


async def test_a_document_fetched_by_url_goes_through_the_egress_guard(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api(token=world.acme.token)
    text = (DATA / "weather-3.1.yaml").read_text().encode()
    upstream.scripted["weather"] = (200, "application/yaml", text)
    url = upstream.url("/scripted/weather")
    listed = await client.post(IMPORT, {"url": url})
    assert listed.status == 200, listed.text
    assert [op["operation_id"] for op in listed.body["operations"]] == ["getForecast"]
    # The relative server (/data/2.5) is read against where the document came from.
    reply = await client.post(IMPORT, {"url": url, "operation": "getForecast"})
    assert reply.status == 200, reply.text
    assert reply.body["definition"]["url"] == upstream.url("/data/2.5/forecast")
    cases = [
        {"url": "http://169.254.169.254/latest/openapi.json"},  # cloud metadata: refused
        {"url": upstream.url("/status/404")},
        {"url": "file:///etc/passwd"},
        {"url": 7},
    ]
    for body in cases:
        refused = await client.post(IMPORT, body)
        assert refused.status == 422, (body, refused.text)
        assert refused.body["error"]["field"] == "url", (body, refused.text)
    blocked = await client.post(IMPORT, cases[0])
    assert "could not be fetched" in blocked.body["error"]["message"]
    both = await client.post(IMPORT, {"url": url, "document": "openapi: 3.0.0"})
    assert both.status == 422
    assert both.body["error"]["field"] == "document"
