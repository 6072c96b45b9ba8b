"""Every route of the server (`create_server`: the API and the pages) sent hostile path values,
query values and bodies by an agency admin (who may reach the most) and by a company user: each
answer is a 2xx, 3xx or 4xx (the API's in the one error shape), never a 5xx, and the server
still answers afterwards.

The API's routes are read from its own OpenAPI schema, and their bodies built from each route's
request schema: every property set at once to one hostile value (null, a negative or huge
number, NUL, a lone surrogate, a long string, a list, an object), plus bodies that are not the
expected JSON at all. The pages' routes are read from the app's route table; their forms carry
the session's CSRF token and hostile values in every field the route reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import fastapi.routing
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from hooksmith.server import create_server
from hooksmith.service.cookies import CSRF_COOKIE
from hooksmith.settings import Settings
from tests.api.client import Api, Reply
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition
from tests.server import Server, serve_app
from tests.upstream import Upstream

HOSTILE_VALUES: list[Any] = [
    None,
    -1,
    2**70,
    1e308,
    "",
    "\x00",
    "\ud800",
    "x" * 70_000,
    "{{ 7 * 7 }}{% for x in range(10**9) %}{% endfor %}",
    [],
    [None, {"a": [1]}],
    {},
    {"key": "\x00", "value": -1, "name": None},
    True,
]
HOSTILE_PATH_VALUES = ["0", "-1", "99999999999999999999", "%00", "%FF", "x", "..%2F..", "1.5"]
HOSTILE_QUERY_VALUES = ["-1", "99999999999999999999", "%FF", "a" * 5000, "", "1e999"]
RAW_BODIES = [b"", b"null", b"[]", b'"x"', b"{", b"\xff\xfe", b'{"\\ud800": "\\udfff"}']


HOSTILE_FORM_VALUES = ("", "\x00", "x" * 70_000, "-1", "99999999999999999999")


@pytest.fixture
def server(settings: Settings, world: World) -> Iterator[Server]:
    """The whole server, API and pages, as `hooksmith serve` builds it."""
    with serve_app(settings, build=create_server) as running:
        yield running


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The schema behind a `$ref` (one level of `allOf`/`anyOf` taken as its first part)."""
    while True:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = spec["components"]["schemas"][name]
        elif "allOf" in schema:
            schema = schema["allOf"][0]
        elif "anyOf" in schema:
            schema = schema["anyOf"][0]
        else:
            return schema


def _bodies(operation: dict[str, Any], spec: dict[str, Any]) -> Iterator[bytes]:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return
    yield from RAW_BODIES
    schema = _resolve(content["application/json"].get("schema", {}), spec)
    properties = list(schema.get("properties", {})) or ["name"]
    for value in HOSTILE_VALUES:
        yield json.dumps(dict.fromkeys(properties, value)).encode()
    example = _example(content["application/json"], schema)
    if isinstance(example, dict):  # deeper: a valid body with one field made hostile
        for name in list(example) or properties:
            for value in HOSTILE_VALUES:
                yield json.dumps(example | {name: value}).encode()


def _example(media: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The documented example of a request body, if it has one."""
    for holder in (media, schema):
        if "example" in holder:
            return holder["example"]
        examples = holder.get("examples")
        if isinstance(examples, dict) and examples:
            return next(iter(examples.values())).get("value")
        if isinstance(examples, list) and examples:
            return examples[0]
    return None


def _requests(
    spec: dict[str, Any], ids: dict[str, str]
) -> Iterator[tuple[str, str, dict[str, str], bytes | None]]:
    """(method, path, query, body): the hostile variants of every operation."""
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            parameters = operation.get("parameters", [])
            path_names = [p["name"] for p in parameters if p["in"] == "path"]
            queries = [p["name"] for p in parameters if p["in"] == "query"]

            plain = _filled(template, path_names, ids)
            for name in path_names:
                for value in HOSTILE_PATH_VALUES:
                    yield (
                        method.upper(),
                        _filled(template, path_names, ids | {name: value}),
                        {},
                        None,
                    )
            for name in queries:
                for value in HOSTILE_QUERY_VALUES:
                    yield method.upper(), plain, {name: value}, None
            for body in _bodies(operation, spec):
                yield method.upper(), plain, {}, body


def _filled(template: str, names: list[str], values: dict[str, str]) -> str:
    for name in names:
        template = template.replace("{" + name + "}", values.get(name, "1"))
    return template


@dataclass
class Tally:
    """The requests sent and the answers that were 5xx (or no answer at all)."""

    sent: int = 0
    faults: list[str] = field(default_factory=list)

    def add(self, reply: Reply, what: str) -> None:
        self.sent += 1
        if reply.status >= 500:
            self.faults.append(f"{what}: {reply.status} {reply.text:.120}")

    async def verdict(self, client: Api, at_least: int) -> None:
        """No 5xx, at least `at_least` requests sent, and the server still answers."""
        assert not self.faults, "\n".join(self.faults)
        assert self.sent >= at_least  # every route was reached with its variants
        assert (await client.get("/healthz")).status == 200


async def _send(
    client: Api, method: str, path: str, query: dict[str, str], body: bytes | None
) -> Reply:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return await client.call(method, path, params=query, data=body, headers=headers)


@pytest.mark.parametrize("caller", ["agency admin", "company user"])
async def test_no_route_answers_a_5xx_to_hostile_input(
    api: ApiFactory, world: World, upstream: Upstream, caller: str
) -> None:
    token = world.north_admin.token if caller == "agency admin" else world.acme.token
    client = await api(token=token)
    made = await client.post("/api/v1/webhooks", definition(upstream.url("/echo"), company="acme"))
    assert made.status == 201, made.text
    spec = (await client.get("/openapi.json")).body
    ids = {
        "webhook_id": str(made.body["id"]),
        "company": "acme",
        "revision": "1",
        "user_id": str(world.acme.user_id),
    }
    tally = Tally()
    for method, path, query, body in _requests(spec, ids):
        what = f"{method} {path} {query} …{(body or b'')[-120:]!r}"
        try:
            reply = await _send(client, method, path, query, body)
        except OSError as error:  # the server dropped the connection
            tally.faults.append(f"{what}: {error!r}")
            continue
        tally.add(reply, what)
        if 400 <= reply.status < 500 and reply.body is not None and "error" in reply.body:
            assert set(reply.body["error"]) - {"errors"} == {"kind", "message", "field"}
    await tally.verdict(client, at_least=1000)


def _form_fields(dependant: Dependant) -> set[str]:
    """The form fields a route reads, its dependencies' (the CSRF token's) included."""
    names = {param.alias for param in dependant.body_params}
    for each in dependant.dependencies:
        names |= _form_fields(each)
    return names


def _page_requests(
    route: APIRoute, ids: dict[str, str], csrf: str
) -> Iterator[tuple[str, str, dict[str, str], dict[str, str] | None]]:
    """(method, path, query, form): the hostile variants of one page route; a POST's form
    carries the session's CSRF token and one hostile value in every other field it reads."""
    names = [param.name for param in route.dependant.path_params]
    queries = [param.name for param in route.dependant.query_params]
    variants = [(_filled(route.path, names, ids), {})]
    variants += [
        (_filled(route.path, names, ids | {name: value}), {})
        for name in names
        for value in HOSTILE_PATH_VALUES
    ]
    variants += [
        (_filled(route.path, names, ids), {name: value})
        for name in queries
        for value in HOSTILE_QUERY_VALUES
    ]
    fields = _form_fields(route.dependant) | {"name"}
    for method in sorted(route.methods - {"HEAD"}):
        forms: list[dict[str, str] | None] = [None]
        if method == "POST":
            forms = [
                dict.fromkeys(fields, value) | {"csrf_token": csrf} for value in HOSTILE_FORM_VALUES
            ]
        for path, query in variants:
            for form in forms:
                yield method, path, query, form


async def test_no_page_answers_a_5xx_to_hostile_input(
    api: ApiFactory, world: World, server: Server, upstream: Upstream
) -> None:
    client = await api(login=world.north_admin.email)
    made = await client.post("/api/v1/webhooks", definition(upstream.url("/echo"), company="acme"))
    assert made.status == 201, made.text
    csrf = next(cookie.value for cookie in client.http.cookie_jar if cookie.key == CSRF_COOKIE)
    ids = {"webhook_id": str(made.body["id"]), "company": "acme", "revision": "1"}
    pages = [
        context.route
        for context in fastapi.routing.iter_route_contexts(server.app.routes)
        if isinstance(context.route, APIRoute) and not context.path.startswith("/api/")
    ]
    tally = Tally()
    for route in pages:
        for method, path, query, form in _page_requests(route, ids, csrf):
            reply = await client.call(method, path, params=query, data=form, allow_redirects=False)
            tally.add(reply, f"{method} {path} {query}")
    await tally.verdict(client, at_least=100)


HOSTILE_HEADERS: list[dict[str, str]] = [
    {"Authorization": "Bearer " + "\xff" * 10},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic Og=="},
    {"Content-Type": "application/json; charset=utf-16"},
    {"Content-Type": "multipart/form-data; boundary=x"},
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Encoding": "gzip"},
    {"traceparent": "00-" + "0" * 32 + "-" + "0" * 16 + "-01", "tracestate": "x" * 9000},
    {"X-Request-Id": 'a b/"' * 200},
    {"Cookie": "hooksmith_session=" + "a" * 5000 + "; hooksmith_csrf=\xff"},
    {"Idempotency-Key": "\xff" * 300},
]


async def test_no_route_answers_a_5xx_to_hostile_headers(
    api: ApiFactory, world: World, upstream: Upstream
) -> None:
    client = await api()  # each request brings its own credentials, or hostile ones
    owner = await api(token=world.north_admin.token)
    made = await owner.post("/api/v1/webhooks", definition(upstream.url("/echo"), company="acme"))
    assert made.status == 201, made.text
    spec = (await owner.get("/openapi.json")).body
    ids = {"webhook_id": str(made.body["id"]), "company": "acme", "revision": "1"}
    bearer = {"Authorization": f"Bearer {world.north_admin.token}"}
    tally = Tally()
    for template, item in spec["paths"].items():
        names = [p["name"] for op in item.values() for p in op.get("parameters", [])]
        path = _filled(template, [n for n in names if "{" + n + "}" in template], ids)
        for method in item:
            for headers in HOSTILE_HEADERS:
                given = headers if "Authorization" in headers else bearer | headers
                body = b'{"name": "x"}' if method in {"post", "put"} else None
                reply = await client.call(method.upper(), path, data=body, headers=given)
                tally.add(reply, f"{method.upper()} {path} {headers!r:.100}")
    await tally.verdict(owner, at_least=300)
