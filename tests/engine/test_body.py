from __future__ import annotations

import json
import time
from typing import Any

import pytest

from hooksmith.engine.body import render_body
from hooksmith.engine.errors import RenderError
from hooksmith.engine.sandbox import Sandbox
from tests.factories import ROOT, SEED_BODY

REPLY = 'He said "hi" \\ \n ünï 😀 {{ 7*7 }} {% if 1 %}x{% endif %}'


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def conversation(**overrides: Any) -> dict[str, Any]:
    certainly: dict[str, Any] = {
        "sessionId": "abc-123",
        "reply": REPLY,
        "replyData": {"email": "a@b.c", "nested": ['q"uote', None, 1.5]},
        "extractedData": {"zip": "1000", "tags": ["</script>", "&"]},
        "customVariables": {"userName": "Ana", "vip": True},
        "botId": "bot-1",
        "botDeploymentId": "dep-1",
        "moduleId": 42,
        "direction": "in",
        "to": "web",
        "from": "u1",
        "botTrainedModelId": "m",
        "attachedMedia": "",
    }
    data: dict[str, Any] = {
        "certainly": certainly,
        "fb": {"firstName": "Ana", "lastName": 'O\'Neil "x"'},
    }
    for key, value in overrides.items():
        if value is None:
            certainly.pop(key, None)
            data.pop(key, None)
        else:
            data[key] = value
    return data


def body(sandbox: Sandbox, source: str, variables: dict[str, Any] | None = None) -> Any:
    rendered = render_body(sandbox, source, variables or {}, deadline=time.monotonic() + 1)
    return json.loads(rendered.value)


@pytest.mark.skipif(not SEED_BODY, reason="the seed sample is not available")
def test_seed_sample_with_fb(sandbox: Sandbox) -> None:
    data = conversation()
    rendered = render_body(sandbox, SEED_BODY, data, deadline=time.monotonic() + 1)
    parsed = json.loads(rendered.value)
    certainly = data["certainly"]
    assert parsed == {
        "lastName": 'O\'Neil "x"',
        "replyData": certainly["replyData"],
        "sessionId": "abc-123",
        "attachedMedia": "",
        "direction": "in",
        "reply": REPLY,
        "extractedData": certainly["extractedData"],
        "botId": "bot-1",
        "botDeploymentId": "dep-1",
        "firstName": "Ana",
        "customVariables": certainly["customVariables"],
        "moduleId": 42,
        "to": "web",
        "from": "u1",
        "botTrainedModelId": "m",
    }
    assert rendered.warnings == ()
    assert "//" not in rendered.value
    assert rendered.value.count("\n") == SEED_BODY.rstrip("\n").count("\n")


@pytest.mark.skipif(not SEED_BODY, reason="the seed sample is not available")
def test_seed_sample_without_fb_and_optional_data(sandbox: Sandbox) -> None:
    data = conversation(fb=None, replyData=None, extractedData=None, customVariables=None)
    parsed = body(sandbox, SEED_BODY, data)
    assert parsed["firstName"] == {}
    assert parsed["lastName"] == {}
    assert parsed["replyData"] == {}
    assert parsed["extractedData"] == {}
    assert parsed["customVariables"] == {}
    assert parsed["reply"] == REPLY
    assert parsed["moduleId"] == 42


@pytest.mark.skipif(not SEED_BODY, reason="the seed sample is not available")
def test_seed_sample_with_an_empty_conversation_warns(sandbox: Sandbox) -> None:
    rendered = render_body(sandbox, SEED_BODY, {}, deadline=time.monotonic() + 1)
    parsed = json.loads(rendered.value)
    assert parsed["sessionId"] is None
    assert parsed["reply"] == ""
    assert "undefined: certainly.sessionId (in body)" in rendered.warnings


@pytest.mark.parametrize(
    "value",
    ['"', "\\", "\n\r\t", '", "admin": true, "x": "', "ünï 😀 \u2028", "\x00\x1f", "{{ 7*7 }}"],
)
def test_values_inside_quotes_arrive_byte_exact(sandbox: Sandbox, value: str) -> None:
    assert body(sandbox, '{"v": "{{ v }}", "w": "<{{ v }}>"}', {"v": value}) == {
        "v": value,
        "w": f"<{value}>",
    }


@pytest.mark.parametrize(
    "value",
    ["text", '"}, "admin": true', 7, -1.5, True, False, None, [1, "a", None], {"a": {"b": [1]}}],
)
def test_values_outside_quotes_are_json(sandbox: Sandbox, value: Any) -> None:
    assert body(sandbox, '{"v": {{ v }}}', {"v": value}) == {"v": value}


def test_structured_values_inside_quotes_are_their_json_text(sandbox: Sandbox) -> None:
    data = {"d": {"a": [1, "x"]}, "n": None, "b": True, "i": 3}
    parsed = body(sandbox, '{"d": "{{ d }}", "n": "{{ n }}", "b": "{{ b }}", "i": "{{ i }}"}', data)
    assert parsed == {"d": '{"a": [1, "x"]}', "n": "", "b": "true", "i": "3"}


def test_template_text_in_a_value_is_never_evaluated(sandbox: Sandbox) -> None:
    value = "{{ 7*7 }}{% for i in range(3) %}x{% endfor %}"
    assert body(sandbox, '{"a": "{{ v }}", "b": {{ v }}}', {"v": value}) == {"a": value, "b": value}


def test_tojson_passes_through_outside_quotes(sandbox: Sandbox) -> None:
    data = {"d": {"a": "<b>&'"}}
    assert body(sandbox, '{"d": {{ d|tojson }}}', data) == data
    inside = body(sandbox, '{"d": "{{ d|tojson }}"}', data)["d"]
    assert isinstance(inside, str)
    assert json.loads(inside) == data["d"]


def test_comments_outside_strings_are_stripped(sandbox: Sandbox) -> None:
    source = (
        '{\n"url": "http://x.io/a//b", // a comment with "quotes"\n'
        '/* block\n comment */ "b": "/* kept */", "c": 1 // end\n}'
    )
    rendered = render_body(sandbox, source, {}, deadline=time.monotonic() + 1)
    assert json.loads(rendered.value) == {"url": "http://x.io/a//b", "b": "/* kept */", "c": 1}
    assert rendered.value.count("\n") == source.count("\n")
    assert "comment" not in rendered.value


def test_placeholders_inside_comments_are_dropped(sandbox: Sandbox) -> None:
    rendered = render_body(
        sandbox, '{"a": 1 // {{ x }}\n}', {"x": '"'}, deadline=time.monotonic() + 1
    )
    assert json.loads(rendered.value) == {"a": 1}
    assert rendered.warnings == ()


def test_escaped_quotes_in_literal_text_keep_the_string_state(sandbox: Sandbox) -> None:
    assert body(sandbox, '{"a": "say \\"{{ v }}\\"", "b": {{ v }}}', {"v": "x"}) == {
        "a": 'say "x"',
        "b": "x",
    }


def test_undefined_values_warn(sandbox: Sandbox) -> None:
    rendered = render_body(
        sandbox,
        '{"a": "{{ missing }}", "b": {{ certainly.sessionId }}}',
        {"certainly": {}},
        deadline=time.monotonic() + 1,
    )
    assert json.loads(rendered.value) == {"a": "", "b": None}
    assert rendered.warnings == (
        "undefined: missing (in body)",
        "undefined: certainly.sessionId (in body)",
    )


def test_control_flow_and_loops(sandbox: Sandbox) -> None:
    source = (
        '{"items": [{% for i in items %}{{ i }}{% if not loop.last %}, {% endif %}{% endfor %}]}'
    )
    assert body(sandbox, source, {"items": ["a", 1, None]}) == {"items": ["a", 1, None]}


def test_invalid_json_names_line_and_column(sandbox: Sandbox) -> None:
    with pytest.raises(RenderError) as caught:
        render_body(sandbox, '{\n"a": 1,\n"b": 2 "c": 3\n}', {}, deadline=time.monotonic() + 1)
    assert caught.value.field == "body"
    assert caught.value.message == "body: line 3, column 8: Expecting ',' delimiter"


def test_a_value_cannot_break_the_structure(sandbox: Sandbox) -> None:
    with pytest.raises(RenderError, match="body: line 1"):
        render_body(sandbox, '{"a": {{ v|safe }}x}', {"v": 1}, deadline=time.monotonic() + 1)
    assert body(sandbox, '{"a": {{ v }}}', {"v": '1}, {"b": 2'}) == {"a": '1}, {"b": 2'}


def test_nan_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(RenderError):
        render_body(sandbox, '{"a": {{ v }}}', {"v": float("nan")}, deadline=time.monotonic() + 1)


def test_template_syntax_error_names_the_line(sandbox: Sandbox) -> None:
    with pytest.raises(RenderError, match=r"^body: line 2: "):
        render_body(sandbox, '{\n"a": {{ 1 + }}\n}', {}, deadline=time.monotonic() + 1)


def test_hostile_body_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(RenderError):
        render_body(sandbox, '{"a": "{{ "x" * 300000000 }}"}', {}, deadline=time.monotonic() + 1)


def test_the_repository_copy_of_the_seed_body_is_the_article_sample() -> None:
    shared = ROOT.parent / "shared" / "seed-sample-body.jinja"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    assert SEED_BODY == shared.read_text(encoding="utf-8")
    assert '{% if fb is defined %}"{{fb.lastName}}"' in SEED_BODY
