"""Builders for test data: `make_webhook(**overrides)` and a sample conversation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hooksmith.engine import EgressPolicy, Engine, Webhook, parse_webhook

ROOT = Path(__file__).resolve().parent.parent
SEED_BODY = (ROOT / "examples" / "seed-sample-body.jinja").read_text(encoding="utf-8")
LOOPBACK = EgressPolicy.from_setting("127.0.0.1/32")


def make_webhook(**overrides: Any) -> Webhook:
    data: dict[str, Any] = {"name": "Test webhook", "url": "http://127.0.0.1:9/echo"}
    data.update(overrides)
    return parse_webhook(data)


def conversation(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "conversation.json").read_text())
    data.update(overrides)
    return data


def loopback_engine(**options: Any) -> Engine:
    """An engine whose egress guard trusts 127.0.0.1, where the test upstream listens."""
    return Engine(policy=LOOPBACK, **options)
