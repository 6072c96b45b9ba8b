"""One description of a webhook's fields: the engine's model. The store's columns, the API's
view and the builder's form follow it, and these tests fail when a new field is missed by one."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from hooksmith.engine import Webhook
from hooksmith.service.webhooks import WebhookView, view
from hooksmith.store import to_definition
from hooksmith.store.models import Company, WebhookRow
from hooksmith.store.webhooks import definition_columns

WEB = Path(__file__).resolve().parents[1] / "src" / "hooksmith" / "web"
# A value other than the default for every field, so a field the store drops shows.
EVERY_FIELD = {
    "name": "Order status",
    "company": "acme",
    "method": "POST",
    "url": "https://{{ shop }}.example.com/orders/{{ orderNumber }}",
    "response_type": "xml",
    "execution": "async",
    "timeout": 7.5,
    "auth": {"type": "bearer", "token": "tok-123"},
    "headers": [{"key": "Accept", "value": "application/json"}],
    "params": [{"key": "include", "value": "lines"}],
    "context": {"shop": "demo"},
    "body": '{"id": "{{ orderNumber }}"}',
    "custom_variables": [{"name": "status", "mapper": "response.order.status", "default": "?"}],
    "retry": {"attempts": 2, "on": ["timeout", 503], "non_idempotent": True},
    "success_condition": "response.ok",
    "host_from_conversation": True,
}


def test_the_sample_sets_every_field_of_the_model() -> None:
    assert set(EVERY_FIELD) == set(Webhook.model_fields)


def stored(webhook: Webhook) -> WebhookRow:
    now = datetime.now(UTC)
    row = WebhookRow(id=1, revision=1, created_at=now, updated_at=now)
    for column, value in definition_columns(webhook).items():
        setattr(row, column, value)
    row.company = Company(id=1, slug="acme", name="Acme")
    row.auth_secret_ciphertext = "sealed"
    return row


def test_the_store_keeps_every_field() -> None:
    webhook = Webhook.model_validate(EVERY_FIELD)
    assert "tok-123" not in str(definition_columns(webhook))
    assert to_definition(stored(webhook), "tok-123").to_data() == webhook.to_data()


def test_the_api_view_shows_every_field_but_the_secret() -> None:
    webhook = Webhook.model_validate(EVERY_FIELD)
    assert set(Webhook.model_fields) <= set(WebhookView.model_fields)
    shown = view(stored(webhook)).model_dump(mode="json")
    expected = webhook.to_data()
    assert shown.pop("auth") == {"type": "bearer", "token_set": True}
    assert {name: shown[name] for name in expected if name != "auth"} == {
        name: value for name, value in expected.items() if name != "auth"
    }


def test_the_builder_form_sends_every_field() -> None:
    scripts = "\n".join(path.read_text() for path in (WEB / "static" / "js").glob("*.js"))
    templates = "\n".join(path.read_text() for path in (WEB / "templates").glob("*.html"))
    missing = [
        name
        for name in Webhook.model_fields
        if not re.search(rf"\b{name}\s*:", scripts) and f'data-field="{name}' not in templates
    ]
    assert missing == []
