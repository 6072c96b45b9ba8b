"""JSON text for stored columns: orjson, with the json module for what orjson refuses."""

from __future__ import annotations

import json
from typing import Any

import orjson


class RawJson(str):
    """JSON text made already (by the result's own serializer), stored as it is."""


def json_text(value: Any) -> str:
    """Compact JSON text of `value` (integers past 64 bits and non-string keys included).

    >>> json_text({"a": [1, "é"]}), json_text(RawJson('{"b":2}'))
    ('{"a":[1,"é"]}', '{"b":2}')
    """
    if type(value) is RawJson:
        return str(value)
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError: a big integer, a non-string key, …
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
