"""JSON Schemas of an OpenAPI document read for a webhook: a body skeleton and response mappers.

`$ref`s are followed within the document only (`#/components/...`); a cycle, an outside
reference or nesting past `MAX_SCHEMA_DEPTH` ends that branch, and every walk is bounded by a
budget of nodes, so a hostile or huge document costs a bounded amount of work.

    >>> pet = {"type": "object", "required": ["name"],
    ...        "properties": {"name": {"type": "string", "example": "doggie"}}}
    >>> print(body_skeleton({}, pet))
    {
      "name": "{{ name }}" // required, e.g. doggie
    }
    >>> suggested_mappers({}, pet)
    [{'name': 'name', 'mapper': 'response.name'}]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

MAX_SCHEMA_DEPTH: Final = 6
MAX_NODES: Final = 1500  # schema nodes looked at in one walk
MAX_PROPERTIES: Final = 60  # of one object in a body skeleton
MAX_MAPPERS: Final = 20
MAX_REF_HOPS: Final = 20
MAX_COMMENT_CHARS: Final = 60
# Words a Jinja2 expression reads as something other than a variable.
JINJA_WORDS: Final = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False",
     "None", "loop", "self"}
)  # fmt: skip
IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SCALARS: Final = frozenset({"string", "integer", "number", "boolean"})


def placeholder_name(name: str) -> str:
    """A template variable name for an OpenAPI name (`pet-id` → `pet_id`).

    >>> placeholder_name("pet-id"), placeholder_name("2fa"), placeholder_name("in")
    ('pet_id', '_2fa', 'in_')
    """
    ident = re.sub(r"\W", "_", name, flags=re.ASCII)[:80] or "value"
    if ident[0].isdigit():
        ident = "_" + ident
    return ident + "_" if ident in JINJA_WORDS else ident


def resolve(document: Any, node: Any, seen: frozenset[str] = frozenset()) -> Any:
    """`node` with its `$ref` followed within the document; None for a cycle or outside ref."""
    for _ in range(MAX_REF_HOPS):
        if not isinstance(node, dict) or "$ref" not in node:
            return node
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            return None
        seen = seen | {ref}
        node = document
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            node = node.get(key) if isinstance(node, dict) else None
    return None if isinstance(node, dict) and "$ref" in node else node


@dataclass
class _Walk:
    document: Any
    nodes: int = 0
    names: set[str] = field(default_factory=set)

    def spend(self) -> bool:
        self.nodes += 1
        return self.nodes <= MAX_NODES


def _flat(
    walk: _Walk, schema: Any, depth: int, seen: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The schema resolved, with `allOf` merged and the first `oneOf`/`anyOf` choice taken."""
    ref = _ref(schema)
    if ref is not None:
        if ref in seen:  # a schema made of itself adds nothing more
            return {}
        seen = seen | {ref}
    schema = resolve(walk.document, schema)
    if not isinstance(schema, dict) or depth > MAX_SCHEMA_DEPTH or not walk.spend():
        return {}
    merged = {key: value for key, value in schema.items() if key not in {"allOf", "oneOf"}}
    properties = _dict(merged.get("properties"))
    required = _names(merged.get("required"))
    all_of = schema.get("allOf")
    parts: list[Any] = all_of if isinstance(all_of, list) else []
    for choice in ("oneOf", "anyOf"):
        options = schema.get(choice)
        if isinstance(options, list) and options:
            parts = [*parts, options[0]]
    for part in parts[:20]:
        flat = _flat(walk, part, depth + 1, seen)
        properties |= _dict(flat.get("properties"))
        required += _names(flat.get("required"))
        merged = {**flat, **merged}
    if properties:
        merged["properties"] = properties
    merged["required"] = required
    return merged


def _dict(value: Any) -> dict[str, Any]:
    return (
        {key: item for key, item in value.items() if isinstance(key, str)}
        if isinstance(value, dict)
        else {}
    )


def _names(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((item for item in kind if item != "null"), None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    return "array" if "items" in schema else "string"


def _literal(value: Any) -> str:
    """JSON text of a value that a template cannot read as a placeholder."""
    return (
        json.dumps(value, ensure_ascii=False, default=str)
        .replace("{", "\\u007b")
        .replace("}", "\\u007d")
    )


def _comment(schema: dict[str, Any], required: bool) -> str:
    notes = ["required"] if required else []
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        notes.append("one of " + ", ".join(str(item) for item in enum[:6]))
    for key in ("example", "default"):
        if key in schema and not isinstance(schema[key], dict | list):
            notes.append(f"e.g. {schema[key]}")
            break
    text = re.sub(r"[{}%#\s]+", " ", ", ".join(notes)).strip()[:MAX_COMMENT_CHARS]
    return f" // {text}" if text else ""


def _unique(walk: _Walk, key: str) -> str:
    name = placeholder_name(key)
    base, number = name, 2
    while name in walk.names:
        name, number = f"{base}{number}", number + 1
    walk.names.add(name)
    return name


def _ref(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref if isinstance(ref, str) else None


def _value(
    walk: _Walk, schema: Any, key: str, depth: int, indent: str, seen: frozenset[str]
) -> str:
    ref = _ref(schema)
    if ref is not None:
        if ref in seen:  # a schema that holds itself: the skeleton stops at the repeat
            return "null"
        seen = seen | {ref}
    flat = _flat(walk, schema, depth)
    kind = _type(flat)
    if "const" in flat or (isinstance(flat.get("enum"), list) and len(flat["enum"]) == 1):
        return _literal(flat["const"] if "const" in flat else flat["enum"][0])
    if kind == "object":
        return _object(walk, flat, depth + 1, indent, seen)
    if kind == "array":
        if depth >= MAX_SCHEMA_DEPTH or not walk.spend():
            return "[]"
        return "[" + _value(walk, flat.get("items"), key, depth + 1, indent, seen) + "]"
    name = _unique(walk, key or "value")
    return f'"{{{{ {name} }}}}"' if kind == "string" else f"{{{{ {name} }}}}"


def _object(
    walk: _Walk, flat: dict[str, Any], depth: int, indent: str, seen: frozenset[str]
) -> str:
    properties = flat.get("properties")
    if not isinstance(properties, dict) or not properties or depth > MAX_SCHEMA_DEPTH:
        return "{}"
    required = set(flat.get("required") or [])
    inner = indent + "  "
    lines: list[tuple[str, str]] = []
    for key, schema in list(properties.items())[:MAX_PROPERTIES]:
        if not isinstance(key, str) or not walk.spend():
            continue
        value = _value(walk, schema, key, depth, inner, seen)
        sub = _flat(walk, schema, depth)
        comment = _comment(sub, key in required) if "\n" not in value else ""
        lines.append((f"{inner}{_literal(key)}: {value}", comment))
    if not lines:
        return "{}"
    text = [
        line + ("," if index < len(lines) - 1 else "") + comment
        for index, (line, comment) in enumerate(lines)
    ]
    return "{\n" + "\n".join(text) + "\n" + indent + "}"


def body_skeleton(document: Any, schema: Any) -> str:
    """A body template for a request schema: placeholders for values, examples in comments."""
    return _value(_Walk(document), schema, "", 0, "", frozenset())


def form_fields(document: Any, schema: Any) -> list[tuple[str, bool, dict[str, Any]]]:
    """The (name, required, schema) of each field of a form body's top-level object."""
    walk = _Walk(document)
    flat = _flat(walk, schema, 0)
    required = set(flat.get("required") or [])
    properties = flat.get("properties")
    if not isinstance(properties, dict):
        return []
    found = []
    for key, sub in list(properties.items())[:MAX_NODES]:
        if isinstance(key, str):
            found.append((key, key in required, _flat(walk, sub, 1)))
    return found


def _step(key: str) -> str:
    return f".{key}" if IDENTIFIER.fullmatch(key) and key not in JINJA_WORDS else f"[{key!r}]"


def _camel(keys: list[str]) -> str:
    words = [word for key in keys for word in re.split(r"[^A-Za-z0-9]+", key) if word]
    name = "".join(
        word if index == 0 else word[:1].upper() + word[1:] for index, word in enumerate(words)
    )
    name = name[:90] or "value"
    return "_" + name if name[0].isdigit() else name


def suggested_mappers(document: Any, schema: Any) -> list[dict[str, str]]:
    """Custom variables (name, mapper) for the scalar leaves of a response schema, a bounded few."""
    walk = _Walk(document)
    found: list[dict[str, str]] = []
    names: set[str] = set()

    def visit(
        node: Any, expression: str, keys: list[str], depth: int, seen: frozenset[str]
    ) -> None:
        if len(found) >= MAX_MAPPERS or depth > MAX_SCHEMA_DEPTH - 2 or not walk.spend():
            return
        ref = _ref(node)
        if ref is not None:
            if ref in seen:
                return
            seen = seen | {ref}
        flat = _flat(walk, node, depth)
        kind = _type(flat)
        if kind == "object":
            for key, sub in _dict(flat.get("properties")).items():
                if isinstance(key, str) and not re.search(r"[{}'\"\\\s]", key):
                    visit(sub, expression + _step(key), [*keys, key], depth + 1, seen)
        elif kind == "array":
            visit(flat.get("items"), expression + "[0]", keys, depth + 1, seen)
        elif kind in SCALARS and keys:
            name, number = _camel(keys), 2
            while name in names:
                name, number = f"{_camel(keys)}{number}", number + 1
            names.add(name)
            found.append({"name": name, "mapper": expression})

    visit(schema, "response", [], 0, frozenset())
    return found
