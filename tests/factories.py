"""Builders for test data: `make_webhook(**overrides)` and a sample conversation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hooksmith.engine import EgressPolicy, Engine, Webhook, parse_webhook
from hooksmith.engine.result import ReceivedResponse, Result, ResultError

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


def result_of(kind: str, ms: float, *, http_status: int = 503) -> Result:
    """A result of outcome `kind` (success, http_error, blocked, failed, timeout…) that took `ms`
    milliseconds; an http_error answered `http_status`."""
    if kind == "success":
        return Result(ok=True, status=200, duration_ms=ms, response=ReceivedResponse(status=200))
    status = http_status if kind == "http_error" else None
    error_kind = {"blocked": "egress_blocked", "failed": "connect_error"}.get(kind, kind)
    return Result(
        ok=False,
        status=status,
        duration_ms=ms,
        response=ReceivedResponse(status=status) if status else None,
        error=ResultError(kind=error_kind, message="it went wrong"),
    )
