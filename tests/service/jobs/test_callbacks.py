"""Callback signatures as a receiver checks them, backoff bounds, and the per-company limits."""

from __future__ import annotations

import pytest

from hooksmith.engine import Backoff
from hooksmith.service.errors import RateLimited
from hooksmith.service.jobs.callbacks import signature, verify
from hooksmith.service.limits import CompanyLimits


def test_a_signature_verifies_only_for_its_body_secret_and_a_recent_timestamp() -> None:
    header = signature(b"secret", 1_700_000_000, b'{"ok":true}')
    assert header.startswith("v1=")
    assert verify(b"secret", "1700000000", b'{"ok":true}', header, now=1_700_000_100)
    assert not verify(b"secret", "1700000000", b'{"ok":false}', header, now=1_700_000_100)
    assert not verify(b"other", "1700000000", b'{"ok":true}', header, now=1_700_000_100)
    assert not verify(b"secret", "1700000000", b'{"ok":true}', header, now=1_700_001_000)
    assert not verify(b"secret", "soon", b'{"ok":true}', header)


def test_callback_backoff_grows_exponentially_up_to_its_cap() -> None:
    backoff = Backoff(base=1, cap=30)
    for attempts in range(2000):  # the retry after n failed deliveries is number n + 1
        assert 0 <= backoff.delay(attempts + 1) <= min(30, 2**attempts)


async def test_limits_refuse_past_the_burst_and_past_the_concurrency() -> None:
    now = [0.0]
    limits = CompanyLimits(rate=2, burst=2, concurrency=1, clock=lambda: now[0])
    limits.take(1)
    limits.take(1)
    with pytest.raises(RateLimited) as refused:
        limits.take(1)
    assert refused.value.retry_after == 1
    limits.take(2)  # another company has its own bucket
    now[0] = 1.0  # two tokens back
    async with limits.admit(1):
        with pytest.raises(RateLimited, match="at once"):
            async with limits.admit(1):
                pass
    async with limits.admit(1):
        pass
