"""A body's plan renders what the sandbox renders: the same text, warnings and errors."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooksmith.engine.body import FIELD, _checked, render_body, rewrite_body
from hooksmith.engine.bodyplan import BodyPlan
from hooksmith.engine.budget import INLINE_SHARE, InlineShare
from hooksmith.engine.caps import text_weight
from hooksmith.engine.errors import RenderError
from hooksmith.engine.sandbox import Sandbox
from hooksmith.engine.triage import CompileFirst
from tests.factories import ROOT, SEED_BODY

BODIES = {
    "seed": SEED_BODY,
    "values": (
        '{"a": {{ a }}, "b": "x{{ b.c }}y", "t": {{ t|tojson }}, "s": "{{ t|tojson }}",\n'
        ' "q": "\\"{{ a }}\\\\", "n": [{{ b.c }}, {{ b.d }}]} // {{ not.rendered }}'
    ),
    "choices": (
        '{% if a %}{"x": {{ a }}}{% elif b is not defined %}[{{ c.d }}]'
        '{% elif c.d is undefined %}"{{ b }}"{% else %}{"b": {{ b|tojson }}}{% endif %}'
    ),
    "dict_names": (
        '{"i": {% if a.items is defined %}{{ a.items|tojson }}{% else %}null{% endif %},'
        ' "k": {% if not a.keys %}"{{ a.keys }}"{% else %}0{% endif %}}'
    ),
    "globals": (
        "[{% if range is defined %}1{% else %}2{% endif %},"
        ' {% if namespace %}3{% else %}4{% endif %}, "{{ range.x }}"]'
    ),
    "unproven": '{"v": -{{ a }}, "w": {% if b %}"{% endif %}{{ c }}"}',
}

text = st.text(st.characters(exclude_categories=()), max_size=8)  # surrogates included
tricky = st.sampled_from(['"', "\\", "\x00\x1f", "<&'>", "🙂", "{{ 7*7 }}", "NaN", "[{", "\ufeff"])
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),  # NaN and infinities too
    text,
    tricky,
)
keys = st.sampled_from(["a", "b", "c", "d", "t", "items", "keys", "get", "x", "range"]) | text
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
CERTAINLY = [
    "sessionId",
    "reply",
    "replyData",
    "extractedData",
    "customVariables",
    "botId",
    "botDeploymentId",
    "moduleId",
    "direction",
    "to",
    "from",
    "botTrainedModelId",
    "attachedMedia",
]
certainly = st.fixed_dictionaries(dict.fromkeys(CERTAINLY, values))  # every path there
seed_data = st.fixed_dictionaries(
    {},
    optional={
        "certainly": certainly
        | st.fixed_dictionaries({}, optional=dict.fromkeys(CERTAINLY, values))
        | values,
        "fb": st.fixed_dictionaries({}, optional={"firstName": values, "lastName": values})
        | values,
        "userName": values,
    },
)
small_data = st.dictionaries(keys, values, max_size=6) | st.fixed_dictionaries(
    {
        "a": values | st.fixed_dictionaries({"items": values, "keys": values}),
        "b": st.fixed_dictionaries({"c": values, "d": values}) | values,
        "c": st.fixed_dictionaries({"d": values}) | values,
        "t": values,
    }
)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


# The reference renders with the sandbox only (its templates' plans are never used).
REFERENCE = Sandbox()
render_body(REFERENCE, "{}", {}, deadline=time.monotonic() + 5)  # registers the JSON writers


def through_sandbox(sandbox: Sandbox, source: str, data: dict[str, Any]) -> tuple[Any, ...]:
    """The body as the sandbox alone renders it: its text and warnings, or its error."""
    template = sandbox.compile_template("body", source, field=FIELD, rewrite=rewrite_body)
    try:
        rendered = sandbox.render_template(
            template, data, deadline=time.monotonic() + 5, field=FIELD
        )
        _checked(rendered.value)
    except RenderError as error:
        return ("error", error.message)
    return ("ok", rendered.value, rendered.warnings)


def through_render_body(sandbox: Sandbox, source: str, data: dict[str, Any]) -> tuple[Any, ...]:
    try:
        rendered = render_body(sandbox, source, data, deadline=time.monotonic() + 5)
    except RenderError as error:
        return ("error", error.message)
    return ("ok", rendered.value, rendered.warnings)


def plan_of(sandbox: Sandbox, source: str) -> BodyPlan:
    try:
        render_body(sandbox, source, {}, deadline=time.monotonic() + 5)
    except RenderError:
        pass
    plan = sandbox.compile_template("body", source, field=FIELD).shortcut
    assert isinstance(plan, BodyPlan)
    return plan


def assert_same(sandbox: Sandbox, name: str, data: dict[str, Any]) -> None:
    source = BODIES[name]
    expected = through_sandbox(REFERENCE, source, data)
    assert through_render_body(sandbox, source, data) == expected
    planned = plan_of(sandbox, source).render(data, time.monotonic() + 5)
    if planned is None:
        return
    # What the plan renders itself is the sandbox's text; unless checked, it is JSON.
    text, needs_check = planned
    if expected[0] == "ok":
        assert (text, ()) == expected[1:]
    else:
        assert needs_check
        with pytest.raises(RenderError) as raised:
            _checked(text)
        assert raised.value.message == expected[1]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=seed_data)
def test_the_seed_body_renders_as_in_the_sandbox(sandbox: Sandbox, data: dict[str, Any]) -> None:
    assert_same(sandbox, "seed", data)


@pytest.mark.parametrize("name", [name for name in BODIES if name != "seed"])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=small_data)
def test_other_bodies_render_as_in_the_sandbox(
    sandbox: Sandbox, name: str, data: dict[str, Any]
) -> None:
    assert_same(sandbox, name, data)


def test_the_seed_body_has_a_proven_plan(sandbox: Sandbox) -> None:
    plan = plan_of(sandbox, SEED_BODY)
    assert plan.proven
    assert not plan_of(sandbox, BODIES["unproven"]).proven


def test_the_plan_renders_the_sample_conversation(sandbox: Sandbox) -> None:
    data = json.loads((ROOT / "examples" / "conversation.json").read_text(encoding="utf-8"))
    planned = plan_of(sandbox, SEED_BODY).render(data, time.monotonic() + 5)
    assert planned is not None
    text, needs_check = planned
    assert not needs_check
    assert json.loads(text)["replyData"] == data["certainly"]["replyData"]


def test_a_missing_path_is_left_to_the_sandbox_which_warns(sandbox: Sandbox) -> None:
    source = '{"a": "{{ a.b }}"}'
    assert plan_of(sandbox, source).render({"a": {}}, time.monotonic() + 5) is None
    rendered = render_body(sandbox, source, {"a": {}}, deadline=time.monotonic() + 5)
    assert rendered.value == '{"a": ""}'
    assert rendered.warnings == ("undefined: a.b (in body)",)


def test_a_deep_value_outside_quotes_is_checked(sandbox: Sandbox) -> None:
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    planned = plan_of(sandbox, '{"d": {{ d }}}').render({"d": deep}, time.monotonic() + 5)
    assert planned is not None
    assert planned[1]  # needs the JSON check


def test_a_template_with_other_tags_has_no_plan(sandbox: Sandbox) -> None:
    source = '{"a": "{{ a|upper }}"}'
    render_body(sandbox, source, {"a": "x"}, deadline=time.monotonic() + 5)
    assert sandbox.compile_template("body", source, field=FIELD).shortcut is None


@settings(max_examples=300, deadline=None)
@given(value=values)
def test_a_value_weighs_at_most_32_per_character_of_its_json(value: Any) -> None:
    # The plan's tojson weighs a value (caps.text_weight) only when its JSON is long.
    text = json.dumps(value, sort_keys=True)
    assert text_weight(value, 10**9) <= 32 * len(text)


def test_past_the_deadline_or_the_inline_share_the_sandbox_decides(sandbox: Sandbox) -> None:
    plan = plan_of(sandbox, '{"a": "{{ a }}"}')
    assert plan.render({"a": "x"}, time.monotonic() - 1) is None
    share = InlineShare(0.0)
    share.until = time.monotonic() - 1
    token = INLINE_SHARE.set(share)
    try:
        assert plan.render({"a": "x"}, time.monotonic() + 5) is None
    finally:
        INLINE_SHARE.reset(token)
    assert plan.render({"a": "x"}, time.monotonic() + 5) == ('{"a": "x"}', False)


def test_data_jinja_would_not_take_as_keywords_is_left_to_the_sandbox(sandbox: Sandbox) -> None:
    plan = plan_of(sandbox, '{"a": "{{ a }}"}')
    assert plan.render({"a": "x", 1: "y"}, time.monotonic() + 5) is None
    with pytest.raises(RenderError):
        render_body(sandbox, '{"a": "{{ a }}"}', {"a": "x", 1: "y"}, deadline=time.monotonic() + 5)


def test_the_event_loops_sandbox_uses_the_plan_after_compiling_beside(
    sandbox: Sandbox,
) -> None:
    inline = Sandbox(inline_only=True)
    with pytest.raises(CompileFirst) as pending:
        render_body(inline, SEED_BODY, {}, deadline=time.monotonic() + 5)
    pending.value.compile()
    data = json.loads((ROOT / "examples" / "conversation.json").read_text(encoding="utf-8"))
    rendered = render_body(inline, SEED_BODY, data, deadline=time.monotonic() + 5)
    assert rendered == render_body(sandbox, SEED_BODY, data, deadline=time.monotonic() + 5)
    assert isinstance(inline.compile_template("body", SEED_BODY, field=FIELD).shortcut, BodyPlan)
