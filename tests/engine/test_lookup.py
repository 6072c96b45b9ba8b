"""The sandbox shortcut for `{{ a.b }}` gives exactly what the sandbox gives, or steps aside."""

from __future__ import annotations

import time
from typing import Any

import pytest

from hooksmith.engine.errors import MappingError
from hooksmith.engine.lookup import MISSING, path_of, read, read_text
from hooksmith.engine.mapping import evaluate_mapper
from hooksmith.engine.sandbox import Sandbox

DATA: dict[str, Any] = {
    "certainly": {"botId": "b-1", "moduleId": 17, "replyData": {"x": 1}, "flag": True},
    "response": {"items": "key, not method", "n": None, "f": 1.5, "big": 10**18 + 5},
    "true": "shadowed?",
    "userName": "Ana",
}
SOURCES = [
    "{{ certainly.botId }}",
    "{{certainly.moduleId}}",
    "{{ certainly.replyData }}",
    "{{ certainly.flag }}",
    "{{ certainly.missing }}",
    "{{ response.items }}",
    "{{ response.n }}",
    "{{ response.f }}",
    "{{ response.big }}",
    "{{ true }}",
    "{{ userName }}",
    "{{ userName|upper }}",
    "{{ userName.upper }}",
    "userName",
    "response.items",
]


@pytest.mark.parametrize("source", [source for source in SOURCES if source.startswith("{{")])
def test_text_is_what_the_sandbox_renders(source: str) -> None:
    fast = read_text(path_of(source), DATA, cap=1000)
    slow = Sandbox().render_text(source, DATA, deadline=time.monotonic() + 5, field="h")
    assert fast is None or (fast == slow.value and not slow.warnings)


@pytest.mark.parametrize("source", SOURCES)
def test_mapper_values_are_what_the_sandbox_evaluates(source: str) -> None:
    fast = read(path_of(source), DATA)
    try:
        slow = evaluate_mapper(Sandbox(), source, DATA, deadline=time.monotonic() + 5)
    except MappingError:  # a function (`userName.upper`) is no JSON value: no shortcut either
        assert fast is MISSING
        return
    assert fast is MISSING or (fast == slow.value and type(fast) is type(slow.value))


def test_what_the_shortcut_takes_and_leaves() -> None:
    assert read(path_of("{{ certainly.botId }}"), DATA) == "b-1"
    assert read(path_of("response.items"), DATA) == "key, not method"
    assert read(path_of("{{ response.n }}"), DATA) is None
    for source in ("{{ certainly.replyData }}", "{{ response.big }}", "{{ true }}", "{{ a|b }}"):
        assert read(path_of(source), DATA) is MISSING
    assert read_text(path_of("{{ userName }}"), DATA, cap=2) is None  # past the cap
    assert read_text(path_of("{{ certainly.moduleId }}"), DATA, cap=10) == "17"
    assert path_of("{{ a.b") is None
