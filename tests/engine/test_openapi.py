"""OpenAPI import on documents written by hand in the style of real public APIs (tests/data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hooksmith.engine import (
    InvalidDefinition,
    import_openapi,
    list_operations,
    parse_webhook,
    render,
    template_problems,
)

DATA = Path(__file__).parent.parent / "data" / "openapi"


def document(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def webhook_of(imported: dict[str, Any], **secrets: Any) -> Any:
    definition = imported["definition"] | secrets
    custom = {"custom_variables": imported["suggested_mappers"]}
    return parse_webhook(definition | custom)


def test_operations_are_listed_from_yaml_and_json() -> None:
    pets = list_operations(document("petstore.yaml"))
    assert [(op["method"], op["path"]) for op in pets] == [
        ("GET", "/pets"),
        ("POST", "/pets"),
        ("GET", "/pets/{petId}"),
        ("DELETE", "/pets/{petId}"),
    ]
    assert pets[1] == {
        "method": "POST",
        "path": "/pets",
        "operation_id": "addPet",
        "summary": "Add a pet to the shop",
    }
    issues = list_operations(json.loads(document("github-issues.json")))
    assert [op["operation_id"] for op in issues] == [
        "issues/list-for-repo",
        "issues/create",
        "issues/get",
    ]


def test_petstore_post_gets_server_variables_as_context_bearer_auth_and_a_body_skeleton() -> None:
    imported = import_openapi(document("petstore.yaml"), "addPet")
    definition = imported["definition"]
    assert definition["method"] == "POST"
    assert definition["url"] == "https://{{ environment }}.petshop.example.com/v2/pets"
    assert definition["context"] == {"environment": "api"}
    assert definition["auth"] == {"type": "bearer", "token": ""}
    body = definition["body"]
    assert '"name": "{{ name }}", // required, e.g. Rex' in body
    assert '"status": "{{ status }}", // one of available, pending, sold' in body
    # Category holds itself: the skeleton stops at the repeat instead of nesting on.
    assert body.count('"parent"') == 1
    webhook = webhook_of(imported, auth={"type": "bearer", "token": "t0k"})
    assert template_problems(webhook) == []
    sent = render(webhook, {"name": "Rex", "status": "sold", "title": "dogs", "label": "good"})
    assert sent.error is None, sent.error
    assert sent.request is not None
    assert sent.request.url == "https://api.petshop.example.com/v2/pets"
    assert json.loads(sent.request.body or "") == {
        "name": "Rex",
        "status": "sold",
        "category": {"title": "dogs", "parent": None},
        "tags": [{"label": "good"}],
    }
    mappers = {m["name"]: m["mapper"] for m in imported["suggested_mappers"]}
    assert mappers["id"] == "response.id"  # from allOf's second part
    assert mappers["tagsLabel"] == "response.tags[0].label"


def test_petstore_operation_by_method_and_path_with_an_api_key_header_as_auth() -> None:
    shown = import_openapi(document("petstore.yaml"), "get /pets/{petId}")["definition"]
    assert shown["url"].endswith("/v2/pets/{{ petId }}")
    assert shown["auth"] == {
        "type": "api_key",
        "name": "X-Store-Key",
        "location": "header",
        "key": "",
    }
    assert shown["headers"] == []
    assert shown["body"] is None
    listed = import_openapi(document("petstore.yaml"), "listPets")
    # An optional parameter with a default keeps it; one without is named in the notes.
    assert listed["definition"]["params"] == [{"key": "limit", "value": "20"}]
    assert "optional parameters left out: tag" in listed["notes"]
    removed = import_openapi(document("petstore.yaml"), "removePet")["definition"]
    assert removed["auth"] == {"type": "none"}  # `security: []` calls without auth


def test_github_like_issue_create_resolves_parameter_and_response_refs() -> None:
    imported = import_openapi(document("github-issues.json"), "issues/create")
    definition = imported["definition"]
    assert definition["url"] == "https://api.github.com/repos/{{ owner }}/{{ repo }}/issues"
    assert definition["context"] == {}
    assert definition["auth"] == {"type": "bearer", "token": ""}
    webhook = webhook_of(imported, auth={"type": "bearer", "token": "ghp_x"})
    assert template_problems(webhook) == []
    sent = render(
        webhook,
        {"owner": "octo", "repo": "hello world", "title": "Broken", "body": "It \"breaks\"",
         "milestone": "v1", "labels": "bug", "assignees": "ana"},
    )  # fmt: skip
    assert sent.request is not None
    assert sent.request.url == "https://api.github.com/repos/octo/hello%20world/issues"
    assert json.loads(sent.request.body or "")["body"] == 'It "breaks"'
    mappers = imported["suggested_mappers"]
    assert {"name": "number", "mapper": "response.number"} in mappers
    assert {"name": "userLogin", "mapper": "response.user.login"} in mappers
    assert {"name": "labelsName", "mapper": "response.labels[0].name"} in mappers
    listed = import_openapi(document("github-issues.json"), "issues/list-for-repo")
    assert listed["definition"]["headers"] == [
        {"key": "X-GitHub-Api-Version", "value": "2022-11-28"}
    ]
    assert listed["definition"]["params"] == [
        {"key": "state", "value": "open"},
        {"key": "per_page", "value": "30"},
    ]
    assert listed["suggested_mappers"][1] == {"name": "number", "mapper": "response[0].number"}
    got = import_openapi(
        document("github-issues.json"), "GET /repos/{owner}/{repo}/issues/{issue_number}"
    )
    assert got["definition"]["url"].endswith("/issues/{{ issue_number }}")


def test_stripe_like_form_body_becomes_params_with_basic_auth() -> None:
    imported = import_openapi(document("stripe-customers.json"), "PostCustomers")
    definition = imported["definition"]
    assert definition["url"] == "https://api.stripe.com/v1/customers"
    assert definition["body"] is None
    assert definition["params"] == [{"key": "email", "value": "{{ email }}"}]
    assert definition["auth"] == {"type": "basic", "username": "", "password": ""}
    assert any("query params" in note for note in imported["notes"])
    assert any("name, description" in note for note in imported["notes"])
    mappers = {m["name"]: m["mapper"] for m in imported["suggested_mappers"]}
    assert mappers["addressCity"] == "response.address.city"  # anyOf + nullable
    assert mappers["livemode"] == "response.livemode"
    assert "metadata" not in mappers  # a map with no named keys offers nothing to click
    basic = {"type": "basic", "username": "sk_test_key", "password": ""}
    assert template_problems(webhook_of(imported, auth=basic)) == []


def test_openapi_3_1_with_a_relative_server_needs_a_base_url() -> None:
    text = document("weather-3.1.yaml")
    with pytest.raises(InvalidDefinition) as refused:
        import_openapi(text, "getForecast")
    assert refused.value.field == "server"
    assert "/data/2.5" in refused.value.message
    imported = import_openapi(
        text, "getForecast", server="https://api.weather.example.com/data/2.5/"
    )
    definition = imported["definition"]
    assert definition["url"] == "https://api.weather.example.com/data/2.5/forecast"
    assert definition["params"] == [
        {"key": "q", "value": "{{ q }}"},
        {"key": "units", "value": "metric"},
    ]
    assert definition["auth"] == {
        "type": "api_key",
        "name": "appid",
        "location": "query",
        "key": "",
    }
    mappers = {m["name"]: m["mapper"] for m in imported["suggested_mappers"]}
    assert mappers["cityCountry"] == "response.city.country"  # type: [string, "null"]
    assert mappers["listMainFeelsLike"] == "response.list[0].main['feels-like']"
    keyed = webhook_of(imported, auth=definition["auth"] | {"key": "k-123"})
    assert template_problems(keyed) == []


@pytest.mark.parametrize(
    ("given", "operation", "field"),
    [
        ("swagger: '2.0'\npaths: {}", "x", "openapi"),
        ({"openapi": 3.0, "paths": {"/a": {}}}, "x", "openapi"),
        ("[1, 2]", "x", "document"),
        ("openapi: [unclosed", "x", "document"),
        ("a: &x [1]\nb: *x", "x", "document"),
        ("[" * 5000 + "]" * 5000, "x", "document"),
        ("openapi: 3.0.0\npaths: {}", "x", "document"),
        ("x" * (3 * 1024 * 1024), "x", "document"),
        ({"openapi": "3.0.0", "paths": {"/a": {"get": {}}}}, "listPets", "operation"),
        ({"openapi": "3.0.0", "paths": {"/a": {"get": {}}}}, " ", "operation"),
        (
            {"openapi": "3.0.0", "servers": [{"url": "ftp://x"}], "paths": {"/a": {"get": {}}}},
            "GET /a",
            "server",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(given: Any, operation: str, field: str) -> None:
    with pytest.raises(InvalidDefinition) as refused:
        import_openapi(given, operation)
    assert refused.value.field == field, refused.value.message


def test_hostile_schemas_end_in_bounded_output() -> None:
    # A schema whose allOf fans out to itself many times, and one with odd keys and values.
    fan = {
        "allOf": [{"$ref": "#/components/schemas/Fan"}] * 20,
        "properties": {"a": {"type": "string"}},
    }
    odd = {
        "type": "object",
        "required": [{"x": 1}, "b"],
        "properties": {"{{ 7*7 }}": {"const": "{% x %}"}, "b": {"type": ["null"]}, "c": 5},
    }
    doc = {
        "openapi": "3.0.0",
        "servers": [{"url": "https://api.example.com"}],
        "components": {"schemas": {"Fan": fan, "Odd": odd}, "securitySchemes": [1]},
        "security": [{"nowhere": []}, {"a": [], "b": []}],
        "paths": {
            "/fan": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Fan"}}
                        }
                    },
                    "responses": {200: {"content": {"application/json": {"schema": fan}}}},
                },
                "put": {
                    "parameters": [
                        {"name": "q", "in": "query", "required": True},
                        7,
                        {"$ref": "#/x"},
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Odd"}}
                        }
                    },
                    "responses": {"2XX": {"$ref": "https://elsewhere.example/r.json"}},
                },
            }
        },
    }
    fanned = import_openapi(doc, "POST /fan")
    assert len(fanned["definition"]["body"]) < 10_000
    assert any("auth not imported" in note for note in fanned["notes"])
    odd_one = import_openapi(doc, "PUT /fan")
    webhook = parse_webhook(odd_one["definition"])
    assert template_problems(webhook) == []
    sent = render(webhook, {"q": "1", "b": None, "c": "z"})
    assert sent.request is not None
    # Text that looks like a template lands as data, never evaluated.
    assert json.loads(sent.request.body or "")["{{ 7*7 }}"] == "{% x %}"


CLIENT_CREDENTIALS = """
openapi: 3.0.3
info: {title: Orders, version: "1"}
servers: [{url: https://api.orders.example.com}]
security: [{partner: [orders.read, orders.write]}]
paths:
  /orders:
    get:
      operationId: listOrders
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    partner:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://auth.orders.example.com/oauth/token
          scopes: {orders.read: read, orders.write: write}
"""


def test_an_oauth2_client_credentials_scheme_imports_as_oauth2_auth() -> None:
    imported = import_openapi(CLIENT_CREDENTIALS, "listOrders")
    assert imported["definition"]["auth"] == {
        "type": "oauth2",
        "token_url": "https://auth.orders.example.com/oauth/token",
        "client_id": "",
        "client_secret": "",
        "scope": "orders.read orders.write",
    }
    assert any("client id and client secret" in note for note in imported["notes"])
    given = imported["definition"]["auth"] | {"client_id": "bot", "client_secret": "s"}
    assert webhook_of(imported, auth=given).auth.type == "oauth2"
    # Another flow (authorization code) has no token to fetch unattended: a bearer token.
    code_flow = CLIENT_CREDENTIALS.replace("clientCredentials:", "authorizationCode:")
    code_flow = code_flow.replace(
        "scopes:", "authorizationUrl: https://a.example/auth\n          scopes:"
    )
    assert import_openapi(code_flow, "listOrders")["definition"]["auth"]["type"] == "bearer"
