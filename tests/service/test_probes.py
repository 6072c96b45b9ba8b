"""The readiness probe: one check at a time, its answer reused for a second."""

from __future__ import annotations

import asyncio

from hooksmith.service.probes import ReadinessProbe


async def test_probes_arriving_together_share_one_check(database_url: str) -> None:
    probe = ReadinessProbe(database_url, timeout=2.0)
    try:
        answers = await asyncio.gather(*(probe.check() for _ in range(20)))
    finally:
        await probe.close()
    assert answers[0].ready
    assert answers[0].checks == {"database": "ok", "migrations": "ok"}
    assert all(answer is answers[0] for answer in answers)


async def test_a_database_never_migrated_is_not_ready(empty_database_url: str) -> None:
    probe = ReadinessProbe(empty_database_url, timeout=2.0)
    try:
        readiness = await probe.check()
    finally:
        await probe.close()
    assert readiness.failed == ["migrations"]
    assert readiness.checks["migrations"].startswith("the database is at revision none")
