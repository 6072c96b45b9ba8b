from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from yarl import URL

from hooksmith.engine.errors import RenderError
from hooksmith.engine.sandbox import Rendered, Sandbox
from hooksmith.engine.url import render_url

HOSTILE = "a/b?c=d&e#f"


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def url(
    sandbox: Sandbox,
    source: str,
    conversation: dict[str, Any] | None = None,
    context: dict[str, str] | None = None,
) -> Rendered[str]:
    return render_url(
        sandbox,
        source,
        context=context or {},
        conversation=conversation or {},
        deadline=time.monotonic() + 1,
    )


def test_plain_url_is_unchanged(sandbox: Sandbox) -> None:
    assert url(sandbox, "https://api.example.com/v1/x?a=1#top").value == (
        "https://api.example.com/v1/x?a=1#top"
    )


def test_a_path_value_cannot_add_a_segment_or_query(sandbox: Sandbox) -> None:
    rendered = url(sandbox, "https://api.example.com/users/{{ id }}/orders", {"id": HOSTILE})
    parts = urlsplit(rendered.value)
    assert parts.path == "/users/a%2Fb%3Fc%3Dd%26e%23f/orders"
    assert parts.query == ""
    assert parts.fragment == ""
    assert unquote(parts.path.split("/")[2]) == HOSTILE


def test_a_query_value_cannot_add_a_key(sandbox: Sandbox) -> None:
    rendered = url(sandbox, "https://x.io/s?q={{ q }}&{{ k }}=1", {"q": HOSTILE, "k": "a=b&c"})
    parts = urlsplit(rendered.value)
    assert parse_qsl(parts.query) == [("q", HOSTILE), ("a=b&c", "1")]
    assert parts.fragment == ""


def test_a_fragment_value_is_encoded(sandbox: Sandbox) -> None:
    assert url(sandbox, "https://x.io/#{{ f }}", {"f": "a b#c"}).value == "https://x.io/#a%20b%23c"


def test_dot_segments_cannot_traverse(sandbox: Sandbox) -> None:
    rendered = url(sandbox, "https://x.io/files/{{ name }}/raw", {"name": ".."})
    assert rendered.value == "https://x.io/files/%2E%2E/raw"
    assert URL(rendered.value, encoded=True).raw_path == "/files/%2E%2E/raw"
    assert url(sandbox, "https://x.io/f/{{ name }}", {"name": "a..b"}).value.endswith("/f/a..b")


def test_context_wins_over_the_conversation(sandbox: Sandbox) -> None:
    rendered = url(
        sandbox,
        "https://{{ subdomain }}.example.com/{{ env }}/{{ userId }}",
        {"subdomain": "evil", "env": "conv", "userId": 7},
        {"subdomain": "acme", "env": "prod"},
    )
    assert rendered.value == "https://acme.example.com/prod/7"


@pytest.mark.parametrize("label", ["acme", "a", "a-1", "A1b2", "x" * 63])
def test_a_valid_subdomain_label(sandbox: Sandbox, label: str) -> None:
    rendered = url(sandbox, "https://{{ sub }}.example.com/", context={"sub": label})
    assert rendered.value == f"https://{label}.example.com/"


@pytest.mark.parametrize(
    "label", ["", "evil.com", "a/b", "-a", "a-", "a b", "x" * 64, "a@b", "a:1", "ünï", "..", "%41"]
)
def test_an_invalid_subdomain_label_is_refused(sandbox: Sandbox, label: str) -> None:
    with pytest.raises(RenderError) as caught:
        url(sandbox, "https://{{ sub }}.example.com/", context={"sub": label})
    assert caught.value.field == "url"


def test_a_placeholder_may_be_the_whole_host(sandbox: Sandbox) -> None:
    assert url(sandbox, "https://{{ h }}:8443/x", {"h": "intranet"}).value == (
        "https://intranet:8443/x"
    )
    assert url(sandbox, "https://user@{{ h }}.x.io/", {"h": "a"}).value == "https://user@a.x.io/"


@pytest.mark.parametrize(
    "source",
    [
        "https://x.io:{{ port }}/",
        "https://{{ user }}@x.io/",
        "https://{{ user }}:pw@x.io/",
        "https://u:{{ pw }}@x.io/",
        "https://x-{{ v }}.example.com/",
        "https://{{ v }}x.example.com/",
        "https://{{ v }}{{ w }}.example.com/",
        "https://[{{ v }}]/",
        "{{ v }}://x.io/",
        "{{ v }}/path",
        "http{{ v }}://x.io/",
    ],
)
def test_placeholders_in_scheme_userinfo_port_or_partial_labels_are_refused(
    sandbox: Sandbox, source: str
) -> None:
    with pytest.raises(RenderError) as caught:
        url(sandbox, source, {"v": "a", "w": "b", "port": 80, "user": "u", "pw": "p"})
    assert caught.value.field == "url"


def test_block_tags_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(RenderError, match="placeholders"):
        url(sandbox, "https://x.io/{% if a %}a{% endif %}")


@pytest.mark.parametrize(
    "source", ["ftp://x.io/a", "https:///path", "/relative/{{ a }}", "https://x.io:99999/", "x"]
)
def test_the_result_must_be_an_absolute_http_url(sandbox: Sandbox, source: str) -> None:
    with pytest.raises(RenderError) as caught:
        url(sandbox, source, {"a": "b"})
    assert caught.value.field == "url"


def test_undefined_renders_empty_with_a_warning(sandbox: Sandbox) -> None:
    rendered = url(sandbox, "https://x.io/u/{{ certainly.sessionId }}?q={{ q }}", {"certainly": {}})
    assert rendered.value == "https://x.io/u/?q="
    assert rendered.warnings == (
        "undefined: certainly.sessionId (in url)",
        "undefined: q (in url)",
    )


def test_values_are_encoded_once(sandbox: Sandbox) -> None:
    rendered = url(sandbox, "https://x.io/{{ v }}?q={{ v }}", {"v": "50% ünï {{ 7*7 }}"})
    encoded = "50%25%20%C3%BCn%C3%AF%20%7B%7B%207%2A7%20%7D%7D"
    assert rendered.value == f"https://x.io/{encoded}?q={encoded}"


def test_expressions_with_filters_work(sandbox: Sandbox) -> None:
    assert url(sandbox, "https://x.io/{{ name|lower }}", {"name": "ABC"}).value == (
        "https://x.io/abc"
    )
