"""The `>>>` examples in the package's docstrings run, so none of them can go stale."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import hooksmith

# Modules that act when imported (Alembic's env.py migrates, __main__ runs the CLI); their
# docstrings hold no example.
SKIPPED = ("hooksmith.store.migrations", "hooksmith.__main__")


def _with_examples() -> list[str]:
    """The package's modules whose docstrings hold at least one example that runs."""
    found = []
    for info in pkgutil.walk_packages(hooksmith.__path__, "hooksmith."):
        if info.name.startswith(SKIPPED):
            continue
        module = importlib.import_module(info.name)
        tests = doctest.DocTestFinder().find(module)
        examples = [example for test in tests for example in test.examples]
        if any(not example.options.get(doctest.SKIP) for example in examples):
            found.append(info.name)
    return sorted(found)


@pytest.mark.parametrize("name", _with_examples())
def test_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False, report=True)
    assert outcome.attempted > 0
    assert outcome.failed == 0, f"{outcome.failed} docstring example(s) of {name} failed"
