"""Operator settings read from `HOOKSMITH_*` environment variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hooksmith.engine.capacity import OutboundLimits
from hooksmith.settings import Settings


def test_outbound_limits_have_defaults() -> None:
    assert Settings().outbound_limits() == OutboundLimits()


def test_outbound_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKSMITH_OUTBOUND_PER_ORIGIN", "64")
    monkeypatch.setenv("HOOKSMITH_OUTBOUND_PER_COMPANY", "16")
    monkeypatch.setenv("HOOKSMITH_OUTBOUND_TOTAL", "2000")
    limits = Settings().outbound_limits()
    assert (limits.per_origin, limits.per_company, limits.total) == (64, 16, 2000)


def test_outbound_limits_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKSMITH_OUTBOUND_PER_ORIGIN", "0")
    with pytest.raises(ValidationError, match="outbound_per_origin"):
        Settings()
