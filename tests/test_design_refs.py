"""The code's references to the design point at sections of docs/design.md that exist, and the
code cites neither a file outside the repository nor the tracker's issue numbers."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT / "docs" / "design.md"
REFERENCE = re.compile(r"design\.md#([a-z0-9-]+)")
STRAY = re.compile(r"DESIGN\.md|§\s*\d|\b[Ii]ssue \d+\b")


def anchors() -> set[str]:
    """GitHub's anchors of the headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", DESIGN.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


def sources() -> list[Path]:
    found = [ROOT / "README.md"]
    for folder in ("src", "tests", "bench"):
        found += sorted((ROOT / folder).rglob("*.py"))
    found += sorted((ROOT / "src").rglob("*.html")) + sorted((ROOT / "src").rglob("*.js"))
    return [path for path in found if path != Path(__file__).resolve()]


def test_every_design_reference_names_a_section() -> None:
    known = anchors()
    assert {"the-webhook", "rendering", "sending", "the-result-and-error-kinds"} <= known
    broken = [
        f"{path.relative_to(ROOT)}: #{anchor}"
        for path in sources()
        for anchor in REFERENCE.findall(path.read_text(encoding="utf-8"))
        if anchor not in known
    ]
    assert broken == []


def test_code_cites_no_outside_design_or_issue_numbers() -> None:
    stray = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if STRAY.search(line)
    ]
    assert stray == []
