"""The built-in template library: realistic webhooks shipped as package data (library/*.json).

Each file holds a template's slug, name, description and every version of its definition; the
files are read the first time the library is asked for, never at import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class BuiltIn:
    """A built-in template: its versions' definitions by number (the highest is the newest)."""

    slug: str
    name: str
    description: str
    versions: dict[int, dict[str, Any]]

    @property
    def version(self) -> int:
        return max(self.versions)

    @property
    def definition(self) -> dict[str, Any]:
        return self.versions[self.version]


@cache
def built_ins() -> tuple[BuiltIn, ...]:
    """Every built-in template, by name (read once, on first use)."""
    found: list[BuiltIn] = []
    folder = resources.files("hooksmith.service").joinpath("library")
    for entry in folder.iterdir():
        if not entry.name.endswith(".json"):
            continue
        data = json.loads(entry.read_text(encoding="utf-8"))
        versions = {int(item["version"]): dict(item["definition"]) for item in data["versions"]}
        found.append(BuiltIn(data["slug"], data["name"], data["description"], versions))
    return tuple(sorted(found, key=lambda item: item.name.lower()))


def built_in(slug: str) -> BuiltIn | None:
    """The built-in template of `slug`, if there is one."""
    return next((item for item in built_ins() if item.slug == slug), None)
