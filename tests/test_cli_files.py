"""The open-files limit a server or worker raises at start, for its outbound connections."""

from __future__ import annotations

import logging
import resource
from collections.abc import Iterator

import pytest

from hooksmith.cli.files import HEADROOM, raise_open_files_limit
from hooksmith.settings import Settings


@pytest.fixture
def limits() -> Iterator[tuple[int, int]]:
    """The process's (soft, hard) limit, put back after the test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    yield soft, hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_soft_limit_is_raised_to_what_the_outbound_total_needs(
    limits: tuple[int, int],
) -> None:
    _, hard = limits
    needed = 2000 + HEADROOM
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the hard limit ({hard}) is below {needed}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    assert raise_open_files_limit(Settings(outbound_total=2000)) == needed
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (needed, hard)


def test_a_limit_above_what_is_needed_is_kept(limits: tuple[int, int]) -> None:
    soft, _ = limits
    if soft != resource.RLIM_INFINITY and soft < 1 + HEADROOM:
        pytest.skip("the soft limit is too low for this case")
    assert raise_open_files_limit(Settings(outbound_total=1)) == soft


def test_a_hard_limit_too_low_is_reported(
    limits: tuple[int, int], caplog: pytest.LogCaptureFixture
) -> None:
    _, hard = limits
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no hard limit to run into")
    with caplog.at_level(logging.WARNING, logger="hooksmith.cli.files"):
        soft = raise_open_files_limit(Settings(outbound_total=hard + 1))
    assert soft == hard
    assert "below HOOKSMITH_OUTBOUND_TOTAL" in caplog.text
