"""Property: whatever the definition, the conversation data and the upstream's answer, the
running server answers a well-formed result or a 4xx in the one error shape, never a 5xx.

Hypothesis generates definitions (templates, mappers, success conditions), conversation data
(nesting, control characters, surrogates, huge numbers, odd types) and what the upstream
answers (status, type, hostile bodies); each example creates the webhook, executes it and
runs it as a test, against the real server and a real upstream on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.client import Reply
from tests.api.conftest import World
from tests.server import Server
from tests.upstream import Upstream

EXAMPLES = int(os.environ.get("HOOKSMITH_PROPERTY_EXAMPLES", "200"))
ERROR_KINDS = {
    "invalid_definition",
    "render_error",
    "egress_blocked",
    "connect_error",
    "timeout",
    "too_large",
    "http_error",
    "invalid_response",
    "mapping_error",
    "circuit_open",
}
RESULT_KEYS = {"ok", "status", "duration_ms", "request", "response", "custom_variables", "error"}

text = st.text(st.characters(exclude_categories=()), max_size=12)  # surrogates included
numbers = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.integers(-5, 5).map(lambda n: n)
)
scalars = st.one_of(st.none(), st.booleans(), numbers, text)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def _nested(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = {"a": [value]}
    return value


conversations = st.fixed_dictionaries(
    {"who": values},
    optional={
        "n": values,
        "items": st.lists(values, max_size=5),
        "certainly": st.fixed_dictionaries({"sessionId": values}),
        "deep": st.builds(_nested, values, st.integers(0, 80)),
    },
)

HEADER_VALUES = ["{{ who }}", "x-{{ n }}", "{{ items|length }}", "{{ who|string|upper }}", "plain"]
BODIES = [
    None,
    '{"who": "{{ who }}", "n": {{ n }}}',
    '{"items": {{ items }}, "deep": {{ deep }}}',
    '{"x": {{ who|tojson }}} // a comment',
    '{% if who is defined %}{"a": "{{ certainly.sessionId }}"}{% else %}{"b": 2}{% endif %}',
    '{"bad": }',
    '{"loop": [{% for i in items %}"{{ i }}"{% if not loop.last %},{% endif %}{% endfor %}]}',
    "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
    "{% if 1 %}" * 2000 + "{}" + "{% endif %}" * 2000,
    "[" * 20000 + "]" * 20000,
]
MAPPERS = [
    "response",
    "response.items",
    "response.a.b.c",
    "response[0]",
    "range",
    "''.upper",
    "dict",
    "response.n * 2",
    "status",
    "headers",
    "{{ response.name }}!",
    "response|list",
    "who",
    "(" * 300 + "1" + ")" * 300,
    "(" * 990 + "1" + ")" * 990,
    "[" * 990 + "]" * 990,
]
CONDITIONS = [
    None,
    "status == 200",
    "response.ok",
    "response is mapping",
    "range",
    "(" * 990 + "status" + ")" * 990,
]

definitions = st.fixed_dictionaries(
    {
        "name": st.one_of(st.just("property"), text),
        "static": st.one_of(st.just("v"), text),
        "method": st.sampled_from(["GET", "POST", "PUT"]),
        "path": st.sampled_from(["", "/{{ who }}", "/x?q={{ n }}"]),
        "response_type": st.sampled_from(["json", "xml", "text"]),
        "headers": st.lists(st.sampled_from(HEADER_VALUES), max_size=2),
        "params": st.lists(st.sampled_from(HEADER_VALUES), max_size=2),
        "body": st.sampled_from(BODIES),
        "mappers": st.lists(st.sampled_from(MAPPERS), max_size=3),
        "success_condition": st.sampled_from(CONDITIONS),
    }
)

HOSTILE_BODIES = {  # by name, so that a failing example prints short
    "empty": b"",
    "deep-json": b"[" * 100_000 + b"]" * 100_000,
    "deep-xml": b"<a>" * 20_000 + b"</a>" * 20_000,
    "huge-number": b'{"n": ' + b"9" * 50_000 + b"}",
    "surrogate": b'{"name": "\\udc00", "ok": true}',
    "not-utf8": b"\xff\xfe\x00garbage",
    "nan": b'{"ok": NaN}',
    "xml": b"<order><id>7</id><ok>1</ok></order>",
    "controls": b"\x01\x02\x1b[31m",
}
answers = st.tuples(
    # 5xx rarely: five in a row open the origin's circuit breaker for the examples after.
    st.sampled_from([200, 201, 204, 400, 404, 200, 201, 500]),
    st.sampled_from(["application/json", "application/xml", "text/plain; charset=latin-1"]),
    st.one_of(st.sampled_from(sorted(HOSTILE_BODIES)), values),
)


def _answer(answer: tuple[int, str, Any]) -> tuple[int, str, bytes]:
    status, content_type, body = answer
    if isinstance(body, str) and body in HOSTILE_BODIES:
        return status, content_type, HOSTILE_BODIES[body]
    return status, content_type, json.dumps(body).encode()


def _definition(upstream: Upstream, key: str, shape: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": shape["name"],
        "method": shape["method"],
        "url": upstream.url(f"/scripted/{key}{shape['path']}"),
        "response_type": shape["response_type"],
        "timeout": 5,
        "headers": [
            {"key": f"X-H{i}", "value": v}
            for i, v in enumerate([*shape["headers"], shape["static"]])
        ],
        "params": [{"key": f"p{i}", "value": v} for i, v in enumerate(shape["params"])],
        "body": shape["body"] if shape["method"] != "GET" else None,
        "custom_variables": [
            {"name": f"v{i}", "mapper": m} for i, m in enumerate(shape["mappers"])
        ],
        "success_condition": shape["success_condition"],
    }


@dataclass(frozen=True)
class Caller:
    """A synchronous client of the running server (Hypothesis drives plain functions)."""

    base_url: str
    token: str

    def call(self, method: str, path: str, body: bytes | None = None) -> Reply:
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        text = raw.decode("utf-8", "replace")
        return Reply(status, json.loads(raw) if raw else None, text)


def _well_formed(reply: Reply, *, result: bool = True) -> None:
    assert reply.status < 500, reply.text
    if reply.status >= 400:
        error = reply.body["error"]
        assert set(error) - {"errors"} == {"kind", "message", "field"}, reply.text
        for fault in error.get("errors", []):  # every fault of an invalid definition
            assert set(fault) == {"field", "message"}, reply.text
        return
    if not result:
        return
    shown = reply.body.get("result", reply.body)  # a test run wraps the result in the run
    assert RESULT_KEYS <= set(shown), reply.text
    assert shown["error"] is None or shown["error"]["kind"] in ERROR_KINDS, reply.text
    assert shown["ok"] is (shown["error"] is None), reply.text


async def test_no_input_earns_a_5xx(server: Server, world: World, upstream: Upstream) -> None:
    caller = Caller(server.base_url, world.acme.token)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(shape=definitions, conversation=conversations, answer=answers)
    def check(
        shape: dict[str, Any], conversation: dict[str, Any], answer: tuple[int, str, Any]
    ) -> None:
        key = uuid.uuid4().hex
        upstream.scripted[key] = _answer(answer)
        hook_data = json.dumps(_definition(upstream, key, shape)).encode()
        created = caller.call("POST", "/api/v1/webhooks", hook_data)
        _well_formed(created, result=False)
        if created.status != 201:
            return
        hook = f"/api/v1/webhooks/{created.body['id']}"
        executed = caller.call("POST", f"{hook}/execute", json.dumps(conversation).encode())
        _well_formed(executed)
        tested = json.dumps({"conversation": conversation}).encode()
        _well_formed(caller.call("POST", f"{hook}/test", tested))

    # The server and the upstream run in threads of their own; Hypothesis runs in another.
    await asyncio.to_thread(check)
