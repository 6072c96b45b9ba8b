from __future__ import annotations

import pytest

from hooksmith.engine import InvalidResponse, ResponseType
from hooksmith.engine.parsing import parse_body


def test_json_keeps_types() -> None:
    assert parse_body(b'{"a": [1, 2.5, true, null]}', ResponseType.JSON) == {
        "a": [1, 2.5, True, None]
    }


def test_xml_becomes_a_dict_keyed_by_root() -> None:
    body = b'<order status="paid"><id>7</id><item>tea</item><item>cake</item></order>'
    assert parse_body(body, ResponseType.XML) == {
        "order": {"@status": "paid", "id": "7", "item": ["tea", "cake"]}
    }


def test_xml_entities_are_refused() -> None:
    bomb = b'<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><l>&b;</l>'
    with pytest.raises(InvalidResponse, match="refused"):
        parse_body(bomb, ResponseType.XML)


def test_external_entities_are_refused() -> None:
    xxe = b'<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><l>&x;</l>'
    with pytest.raises(InvalidResponse):
        parse_body(xxe, ResponseType.XML)


def test_text_uses_the_declared_charset() -> None:
    assert (
        parse_body("café".encode("latin-1"), ResponseType.TEXT, "text/plain; charset=latin-1")
        == "café"
    )


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(InvalidResponse, match=r"line 1, column 7"):
        parse_body(b'{"a": }', ResponseType.JSON)


def test_empty_body_is_null() -> None:
    assert parse_body(b"", ResponseType.JSON) is None
