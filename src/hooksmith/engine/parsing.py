"""Parse a response body by the webhook's response type: JSON, XML (no entity expansion) or text."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from hooksmith.engine.definition import ResponseType
from hooksmith.engine.errors import InvalidResponse
from hooksmith.engine.jsondata import JsonRefused, load_json

MAX_DEPTH = 128  # of an upstream answer, JSON or XML; deeper data is an `invalid_response`


def charset_of(content_type: str | None) -> str:
    """The charset named by a Content-Type header, UTF-8 when none is named."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


def decode_text(body: bytes, content_type: str | None) -> str:
    try:
        return body.decode(charset_of(content_type), errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def parse_body(body: bytes, response_type: ResponseType, content_type: str | None = None) -> Any:
    """The parsed body: JSON data, an XML dict keyed by the root element, or text.

    >>> parse_body(b'<order><id>7</id></order>', ResponseType.XML)
    {'order': {'id': '7'}}
    """
    if response_type is ResponseType.TEXT:
        return decode_text(body, content_type)
    if not body.strip():
        return None
    if response_type is ResponseType.JSON:
        try:
            return load_json(decode_text(body, content_type), max_depth=MAX_DEPTH)
        except JsonRefused as error:
            raise InvalidResponse(
                f"the response is not JSON hooksmith can read ({error}); choose the response "
                "type text or xml if the API sends those"
            ) from None
    try:
        root = fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise InvalidResponse(f"the XML response was refused: {error}") from None
    except ParseError as error:
        raise InvalidResponse(f"the response is not valid XML: {error}") from None
    return {_local_name(root.tag): _element_value(root, MAX_DEPTH)}


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _element_value(element: Element, depth_left: int) -> Any:
    """An element as data: text when it is a leaf, else a dict of `@attributes` and children."""
    children = list(element)
    if children and depth_left <= 0:
        raise InvalidResponse(f"the XML response is nested deeper than {MAX_DEPTH} levels")
    text = (element.text or "").strip()
    if not children and not element.attrib:
        return text or None
    value: dict[str, Any] = {f"@{_local_name(k)}": v for k, v in element.attrib.items()}
    for child in children:
        name = _local_name(child.tag)
        item = _element_value(child, depth_left - 1)
        if name in value:
            existing = value[name]
            if isinstance(existing, list):  # element values are never lists themselves
                existing.append(item)
            else:
                value[name] = [existing, item]
        else:
            value[name] = item
    if text:
        value["#text"] = text
    return value
