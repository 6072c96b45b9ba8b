"""The request plan: what holds no placeholder is built once per webhook, the rest per call."""

from __future__ import annotations

import gc
import time

import pytest

from hooksmith.engine import RenderError, Webhook
from hooksmith.engine.request import PreparedRequest, plan_for, prepare
from hooksmith.engine.sandbox import Sandbox
from tests.factories import make_webhook


def _prepare(webhook: Webhook, conversation: dict[str, object]) -> PreparedRequest:
    return prepare(Sandbox(), webhook, conversation, deadline=time.monotonic() + 5)


def test_static_parts_are_planned_once_and_placeholders_rendered_per_call() -> None:
    webhook = make_webhook(
        method="POST",
        url="http://127.0.0.1:9/t?a=1",
        auth={"type": "bearer", "token": "tok-123"},
        headers=[
            {"key": "Authorization", "value": "ignored"},
            {"key": "X-Who", "value": "{{ who }}"},
            {"key": "Accept", "value": "application/json"},
        ],
        params=[{"key": "v", "value": "2"}, {"key": "q", "value": "{{ who }}"}],
        body='{"who": "{{ who }}"}',
    )
    sandbox = Sandbox()
    assert plan_for(sandbox, webhook) is plan_for(sandbox, webhook)
    first = prepare(sandbox, webhook, {"who": "a b"}, deadline=time.monotonic() + 5)
    second = prepare(sandbox, webhook, {}, deadline=time.monotonic() + 5)
    assert first.url == "http://127.0.0.1:9/t?a=1&v=2&q=a+b"
    assert first.headers == (
        ("X-Who", "a b"),
        ("Accept", "application/json"),
        ("Authorization", "Bearer tok-123"),
        ("Content-Type", "application/json"),
    )
    assert first.body == '{"who": "a b"}'
    assert second.url == "http://127.0.0.1:9/t?a=1&v=2&q="
    assert second.warnings == (
        "undefined: who (in params[1].value)",
        "headers[0]: Authorization is replaced by the webhook's auth",
        "undefined: who (in headers[1].value)",
        "undefined: who (in body)",
    )


def test_a_fully_static_url_is_joined_with_its_params_once() -> None:
    webhook = make_webhook(url="http://127.0.0.1:9/t", params=[{"key": "v", "value": "2 3"}])
    assert plan_for(Sandbox(), webhook).full_url == "http://127.0.0.1:9/t?v=2+3"


def test_a_header_that_would_split_fails_on_every_call() -> None:
    webhook = make_webhook(headers=[{"key": "X-Id", "value": "{{ id }}"}])
    for _ in range(2):
        with pytest.raises(RenderError, match=r"headers\[0\]\.value: .*line break"):
            _prepare(webhook, {"id": "a\r\nInjected: 1"})


def test_a_plan_goes_with_its_webhook() -> None:
    webhook = make_webhook(auth={"type": "bearer", "token": "tok-456"})
    key = id(webhook)
    sandbox = Sandbox()
    plan_for(sandbox, webhook)
    assert key in sandbox.plans
    del webhook
    gc.collect()
    assert key not in sandbox.plans
