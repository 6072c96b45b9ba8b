"""The engine end to end against a real upstream on 127.0.0.1: every field, auth and error kind."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from hooksmith.engine import Engine, Result, execute, render
from tests.factories import SEED_BODY, conversation, loopback_engine, make_webhook
from tests.upstream import Upstream


async def run(
    hook_data: dict[str, Any], data: dict[str, Any] | None = None, **engine: Any
) -> Result:
    async with loopback_engine(**engine) as running:
        return await running.execute(make_webhook(**hook_data), data or conversation())


def echoed(result: Result) -> dict[str, Any]:
    assert result.response is not None
    body = result.response.body
    assert isinstance(body, dict)
    return body


def header(seen: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in seen["headers"] if k.lower() == name.lower()]


async def test_every_field_reaches_the_upstream(upstream: Upstream) -> None:
    result = await run(
        {
            "method": "PATCH",
            "url": upstream.url("/echo/{{ tenant }}/orders/{{ orderNumber }}?fixed=1"),
            "context": {"tenant": "acme"},
            "headers": [
                {"key": "X-Session", "value": "{{ certainly.sessionId }}"},
                {"key": "X-Repeat", "value": "one"},
                {"key": "X-Repeat", "value": "two"},
            ],
            "params": [{"key": "user", "value": "{{ userName }}"}, {"key": "lang", "value": "en"}],
            "body": '{"reply": "{{ certainly.reply }}", "module": {{ certainly.moduleId }}}',
            "custom_variables": [
                {"name": "path", "mapper": "response.path"},
                {"name": "query", "mapper": "response.query"},
            ],
        }
    )
    assert result.ok, result.error
    seen = upstream.received[0]
    assert seen["method"] == "PATCH"
    assert seen["path"] == "/echo/acme/orders/1042"
    assert seen["query"] == [("fixed", "1"), ("user", "Ana"), ("lang", "en")]
    assert header(seen, "X-Session") == ["c0f3e9a2-5d7b-4f43-9a51-2f0a8e6b1d44"]
    assert header(seen, "X-Repeat") == ["one", "two"]
    assert header(seen, "Content-Type") == ["application/json"]
    assert json.loads(seen["body"]) == {
        "reply": conversation()["certainly"]["reply"],
        "module": 17,
    }
    assert result.custom_variables == {
        "path": "/echo/acme/orders/1042",
        "query": [["fixed", "1"], ["user", "Ana"], ["lang", "en"]],
    }
    assert result.status == 200
    assert result.duration_ms > 0


async def test_seed_sample_body_is_sent_as_valid_json(upstream: Upstream) -> None:
    data = conversation()
    result = await run({"method": "POST", "url": upstream.url("/echo"), "body": SEED_BODY}, data)
    assert result.ok, result.error
    sent = json.loads(upstream.received[0]["body"])
    certainly = data["certainly"]
    assert sent["sessionId"] == certainly["sessionId"]
    assert sent["replyData"] == certainly["replyData"]
    assert sent["customVariables"] == certainly["customVariables"]
    assert sent["firstName"] == "Ana"
    assert sent["lastName"] == "O'Neil"
    assert sent["moduleId"] == 17


async def test_seed_sample_body_without_fb_data(upstream: Upstream) -> None:
    data = conversation()
    del data["fb"]
    result = await run({"method": "POST", "url": upstream.url("/echo"), "body": SEED_BODY}, data)
    assert result.ok, result.error
    sent = json.loads(upstream.received[0]["body"])
    assert sent["firstName"] == {}
    assert sent["lastName"] == {}


async def test_json_injection_arrives_byte_exact(upstream: Upstream) -> None:
    hostile = 'He said "hi", \\ then\nnew line, tab\t, ünïcødé 😀 ", "admin": true, "x": "'
    data = conversation(userName=hostile)
    result = await run(
        {"method": "POST", "url": upstream.url("/echo"), "body": '{"name": "{{ userName }}"}'},
        data,
    )
    assert result.ok, result.error
    assert json.loads(upstream.received[0]["body"]) == {"name": hostile}


async def test_template_text_in_a_value_is_not_evaluated(upstream: Upstream) -> None:
    result = await run(
        {"method": "POST", "url": upstream.url("/echo"), "body": '{"n": "{{ userName }}"}'},
        conversation(userName="{{ 7*7 }}"),
    )
    assert result.ok
    assert json.loads(upstream.received[0]["body"]) == {"n": "{{ 7*7 }}"}


@pytest.mark.parametrize(
    ("auth", "expected", "masked"),
    [
        ({"type": "none"}, [], []),
        (
            {"type": "basic", "username": "bot", "password": "pa:ss wörd"},
            ["Basic " + base64.b64encode("bot:pa:ss wörd".encode()).decode()],
            ["Basic bot:pa…rd"],
        ),
        ({"type": "bearer", "token": "tok-abc.123"}, ["Bearer tok-abc.123"], ["Bearer to…23"]),
        ({"type": "bearer", "token": "short"}, ["Bearer short"], ["Bearer [redacted]"]),
    ],
)
async def test_auth_types(
    upstream: Upstream, auth: dict[str, str], expected: list[str], masked: list[str]
) -> None:
    result = await run({"url": upstream.url("/echo"), "auth": auth})
    assert result.ok
    assert header(upstream.received[0], "Authorization") == expected
    assert result.request is not None
    shown = [h.value for h in result.request.headers if h.key == "Authorization"]
    assert shown == masked


async def test_secrets_never_appear_in_the_result(upstream: Upstream) -> None:
    secret = "sup3r-s3cret-token"
    result = await run(
        {
            "method": "POST",
            "url": upstream.url("/echo"),
            "auth": {"type": "bearer", "token": secret},
            "params": [{"key": "echo", "value": secret}],
            "body": '{"leak": "' + secret + '"}',
            "custom_variables": [{"name": "all", "mapper": "response"}],
        }
    )
    assert result.ok
    assert secret in upstream.received[0]["body"]  # it really was sent
    assert secret not in result.model_dump_json()


async def test_xml_response_and_variables(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/xml"),
            "response_type": "xml",
            "custom_variables": [
                {"name": "order_id", "mapper": "response.order.id"},
                {"name": "status", "mapper": "{{ response.order['@status'] }}"},
                {"name": "items", "mapper": "response.order.item"},
                {"name": "summary", "mapper": "Order {{ response.order.id }} for {{ userName }}"},
            ],
        }
    )
    assert result.ok, result.error
    assert result.custom_variables == {
        "order_id": "7",
        "status": "paid",
        "items": ["tea", "cake"],
        "summary": "Order 7 for Ana",
    }


async def test_text_response(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/text"),
            "response_type": "text",
            "custom_variables": [{"name": "t", "mapper": "response | upper"}],
        }
    )
    assert result.custom_variables == {"t": "PLAIN WORDS"}


async def test_gzip_response_is_decoded(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/gzip"),
            "custom_variables": [{"name": "z", "mapper": "response.zipped"}],
        }
    )
    assert result.custom_variables == {"z": True}


async def test_missing_path_is_null_with_a_reason(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/echo"),
            "custom_variables": [{"name": "gone", "mapper": "response.ticket.id"}],
        }
    )
    assert result.ok
    assert result.custom_variables == {"gone": None}
    assert result.mapping[0].found is False
    assert result.mapping[0].reason
    assert any("gone" in warning for warning in result.warnings)


# --- every error kind -------------------------------------------------------------------------


async def test_http_error_still_maps_variables(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/status/404"),
            "custom_variables": [{"name": "msg", "mapper": "response.error.message"}],
        }
    )
    assert not result.ok
    assert result.error is not None
    assert result.error.kind == "http_error"
    assert "404 Not Found" in result.error.message
    assert result.status == 404
    assert result.custom_variables == {"msg": "upstream says no"}


async def test_render_error_sends_nothing(upstream: Upstream) -> None:
    result = await run({"method": "POST", "url": upstream.url("/echo"), "body": '{"a": }'})
    assert result.error is not None
    assert result.error.kind == "render_error"
    assert "line 1" in result.error.message
    assert upstream.received == []


async def test_header_with_line_break_is_a_render_error(upstream: Upstream) -> None:
    result = await run(
        {"url": upstream.url("/echo"), "headers": [{"key": "X-Name", "value": "{{ userName }}"}]},
        conversation(userName="Ana\r\nX-Injected: 1"),
    )
    assert result.error is not None
    assert result.error.kind == "render_error"
    assert result.error.field == "headers[0].value"
    assert upstream.received == []


async def test_egress_blocked_with_the_default_policy(upstream: Upstream) -> None:
    async with Engine() as engine:
        result = await engine.execute(make_webhook(url=upstream.url("/echo")), {})
    assert result.error is not None
    assert result.error.kind == "egress_blocked"
    assert upstream.received == []


async def test_connect_error(upstream: Upstream) -> None:
    result = await run({"url": "http://127.0.0.1:9/closed"})
    assert result.error is not None
    assert result.error.kind == "connect_error"


async def test_timeout_names_the_phase(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/slow?seconds=3"), "timeout": 0.5})
    assert result.error is not None
    assert result.error.kind == "timeout"
    assert "waiting for the response" in result.error.message
    assert result.request is not None  # the request that was sent is still shown


async def test_too_large(upstream: Upstream) -> None:
    result = await run(
        {"url": upstream.url("/big?bytes=300000"), "response_type": "text"},
        max_response_bytes=100_000,
    )
    assert result.error is not None
    assert result.error.kind == "too_large"


async def test_invalid_response(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/text"), "response_type": "json"})
    assert result.error is not None
    assert result.error.kind == "invalid_response"
    assert result.response is not None
    assert result.response.body == "plain words"


async def test_mapping_error_keeps_other_variables(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/echo"),
            "custom_variables": [
                {"name": "broken", "mapper": "response.(("},
                {"name": "method", "mapper": "response.method"},
            ],
        }
    )
    assert result.error is not None
    assert result.error.kind == "mapping_error"
    assert result.custom_variables["method"] == "GET"


async def test_xml_bomb_is_an_invalid_response(upstream: Upstream) -> None:
    result = await run({"url": upstream.url("/xml-bomb"), "response_type": "xml"})
    assert result.error is not None
    assert result.error.kind == "invalid_response"


def test_invalid_definition_kind_exists() -> None:
    from hooksmith.engine import InvalidDefinition

    assert InvalidDefinition([("timeout", "bad")]).kind == "invalid_definition"


async def test_large_body_is_truncated_in_the_result(upstream: Upstream) -> None:
    result = await run(
        {"url": upstream.url("/big?bytes=5000"), "response_type": "text"}, result_body_limit=1000
    )
    assert result.ok
    assert result.response is not None
    assert result.response.truncated
    assert len(result.response.body) == 1000
    assert result.response.size == 5000


# --- library API ------------------------------------------------------------------------------


def test_render_sends_nothing_and_redacts(upstream: Upstream) -> None:
    hook = make_webhook(
        method="POST",
        url=upstream.url("/echo"),
        body=SEED_BODY,
        auth={"type": "bearer", "token": "tok-xyz-123"},
    )
    result = render(hook, conversation())
    assert result.ok
    assert result.request is not None
    assert result.request.body is not None
    assert json.loads(result.request.body)["moduleId"] == 17
    assert "tok-xyz-123" not in result.model_dump_json()
    assert upstream.received == []


async def test_module_level_execute_honours_the_allow_setting(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKSMITH_EGRESS_ALLOW", "127.0.0.1")
    result = await execute(make_webhook(url=upstream.url("/echo")), {})
    assert result.ok


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("a\x01b", "U+0001"),
        ("a\x7fb", "U+007F"),
        ("a\x00b", "U+0000"),
        ("a\ud800b", "lone surrogate"),
    ],
)
async def test_header_with_a_control_character_or_surrogate_is_a_render_error(
    upstream: Upstream, value: str, what: str
) -> None:
    result = await run(
        {"url": upstream.url("/echo"), "headers": [{"key": "X-Name", "value": "{{ userName }}"}]},
        conversation(userName=value),
    )
    assert result.error is not None
    assert result.error.kind == "render_error"
    assert result.error.field == "headers[0].value"
    assert what in result.error.message
    assert upstream.received == []


async def test_a_tab_in_a_header_is_sent(upstream: Upstream) -> None:
    result = await run(
        {"url": upstream.url("/echo"), "headers": [{"key": "X-Name", "value": "{{ userName }}"}]},
        conversation(userName="a\tb"),
    )
    assert result.ok, result.error
    assert header(upstream.received[0], "X-Name") == ["a\tb"]


async def test_a_param_with_a_lone_surrogate_is_a_render_error(upstream: Upstream) -> None:
    result = await run(
        {"url": upstream.url("/echo"), "params": [{"key": "q", "value": "{{ userName }}"}]},
        conversation(userName="\udc80"),
    )
    assert result.error is not None
    assert result.error.kind == "render_error"
    assert result.error.field == "params[0].value"


async def test_control_characters_and_surrogates_in_the_body_arrive_escaped(
    upstream: Upstream,
) -> None:
    result = await run(
        {"method": "POST", "url": upstream.url("/echo"), "body": '{"who": "{{ userName }}"}'},
        conversation(userName="a\x01\x7f\ud800z"),
    )
    assert result.ok, result.error
    sent = upstream.received[0]["body"]
    assert sent == '{"who": "a\\u0001\x7f\\ud800z"}'
    assert json.loads(sent) == {"who": "a\x01\x7f\ud800z"}


@pytest.mark.parametrize(
    ("kind", "response_type", "words"),
    [
        ("deep-json", "json", "nested deeper than"),
        ("deep-xml", "xml", "nested deeper than"),
        ("huge-number", "json", "outside 64 bits"),
        ("surrogate", "json", "lone surrogate"),
        ("nan", "json", "NaN is not a JSON value"),
    ],
)
async def test_hostile_answers_are_an_invalid_response(
    upstream: Upstream, kind: str, response_type: str, words: str
) -> None:
    result = await run(
        {
            "url": upstream.url(f"/hostile?kind={kind}"),
            "response_type": response_type,
            "custom_variables": [{"name": "n", "mapper": "response.n"}],
        }
    )
    assert result.error is not None
    assert result.error.kind == "invalid_response"
    assert words in result.error.message
    result.model_dump_json()  # the result itself is always serialisable


@pytest.mark.parametrize(
    "mapper", ["range", "''.upper", "dict", "response.items", "response.keys", "9.9e300 * 1e10"]
)
async def test_a_mapper_that_yields_no_json_value_is_a_mapping_error(
    upstream: Upstream, mapper: str
) -> None:
    result = await run(
        {
            "url": upstream.url("/echo"),
            "custom_variables": [
                {"name": "bad", "mapper": mapper},
                {"name": "method", "mapper": "response.method"},
            ],
        }
    )
    assert result.error is not None
    assert result.error.kind == "mapping_error"
    assert result.error.field == "custom_variables"
    assert "no JSON value" in result.error.message
    assert result.custom_variables == {"bad": None, "method": "GET"}
    json.loads(result.model_dump_json())


TENANT_URL = "http://{{ tenant }}.example/echo"


@pytest.mark.parametrize(
    "credentials",
    [
        {"auth": {"type": "bearer", "token": "s3cret"}},
        {"headers": [{"key": "X-Api-Key", "value": "k"}]},
    ],
)
async def test_conversation_data_cannot_choose_where_credentials_go(
    upstream: Upstream, credentials: dict[str, Any]
) -> None:
    result = await run({"url": TENANT_URL, **credentials}, conversation(tenant="attacker"))
    assert result.error is not None
    assert result.error.kind == "egress_blocked"
    assert result.error.field == "url"
    assert "{{ tenant }}" in result.error.message
    assert "s3cret" not in result.model_dump_json()


async def test_a_context_value_or_the_authors_consent_lets_the_host_be_filled(
    upstream: Upstream,
) -> None:
    # No name resolves here: getting as far as a connect_error means the rule let it through.
    bearer = {"type": "bearer", "token": "s3cret"}
    from_context = await run({"url": TENANT_URL, "auth": bearer, "context": {"tenant": "acme"}})
    consented = await run(
        {"url": TENANT_URL, "auth": bearer, "host_from_conversation": True},
        conversation(tenant="acme"),
    )
    without_credentials = await run({"url": TENANT_URL}, conversation(tenant="acme"))
    for result in (from_context, consented, without_credentials):
        assert result.error is not None
        assert result.error.kind == "connect_error", result.error
        assert result.request is not None
        assert result.request.url == "http://acme.example/echo"


async def test_non_ascii_in_the_url_is_sent_percent_encoded(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/echo/ünï/{{ word }}?q=ü"),
            "params": [{"key": "p", "value": "ö"}],
        },
        conversation(word="ß"),
    )
    assert result.ok, result.error
    assert result.request is not None
    assert result.request.url.endswith("/echo/%C3%BCn%C3%AF/%C3%9F?q=%C3%BC&p=%C3%B6")
    seen = upstream.received[0]
    assert seen["path"] == "/echo/ünï/ß"
    assert seen["query"] == [("q", "ü"), ("p", "ö")]


async def test_a_non_ascii_header_value_is_sent_as_utf8_with_a_warning(upstream: Upstream) -> None:
    result = await run(
        {
            "url": upstream.url("/echo"),
            "headers": [
                {"key": "X-Plain", "value": "Ana"},
                {"key": "X-Name", "value": "Zoë"},
                {"key": "X-Shop", "value": "{{ shop }}"},
            ],
        },
        conversation(shop="Café Ünï"),
    )
    assert result.ok, result.error
    received = upstream.received[0]
    assert header(received, "X-Name") == ["Zoë"]
    assert header(received, "X-Shop") == ["Café Ünï"]
    garbling = [w for w in result.warnings if "not ASCII" in w]
    assert [w.split(":")[0] for w in garbling] == ["headers[1].value", "headers[2].value"]
    assert '"ë" as "Ã«"' in garbling[0]
    assert "percent-encode" in garbling[1]
