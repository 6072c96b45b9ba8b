"""Where a webhook sends: the destination compared to decide whether a stored secret is kept."""

from __future__ import annotations

import pytest

from hooksmith.service.webhooks import destination


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("https://api.example.com/a", "https://api.example.com/b?x=1"),
        ("https://API.example.com/a", "https://api.example.com/a"),
        ("https://{{ tenant }}.example.com/", "https://{{tenant}}.example.com/x"),
        ("https://api.example.com/{{ a/b }}", "https://api.example.com/{{ c }}"),
    ],
)
def test_same_destination(before: str, after: str) -> None:
    assert destination(before, {"tenant": "t"}) == destination(after, {"tenant": "t"})


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("https://api.example.com/a", "http://api.example.com/a"),
        ("https://api.example.com/a", "https://api.example.com:8443/a"),
        ("https://api.example.com/a", "https://evil.example.com/a"),
        ("https://{{ tenant }}.example.com/", "https://{{ other }}.example.com/"),
        ("https://api.example.com/a", "https://api.example.com@evil.test/a"),
    ],
)
def test_other_destination(before: str, after: str) -> None:
    assert destination(before, {}) != destination(after, {})


def test_a_host_placeholder_takes_its_context_value_into_account() -> None:
    url = "https://{{ tenant }}.example.com/"
    assert destination(url, {"tenant": "shop"}) != destination(url, {"tenant": "evil"})
    assert destination(url, {"tenant": "shop"}) == destination(url, {"tenant": "shop", "x": "1"})
