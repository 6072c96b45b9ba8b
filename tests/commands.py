"""The `hooksmith` command in a process of its own, as a user or a CI job runs it."""

from __future__ import annotations

import os
import subprocess
import sys


def clean_environment(**env: str) -> dict[str, str]:
    """This process's environment without its HOOKSMITH_* variables, then `env`."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("HOOKSMITH_")}
    return kept | env


def run_hooksmith(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m hooksmith *args` run to its end (60 s at most), its output kept as text."""
    return subprocess.run(
        [sys.executable, "-m", "hooksmith", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
