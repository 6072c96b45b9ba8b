"""`python -m hooksmith` is the `hooksmith` command."""

from __future__ import annotations

from hooksmith.cli import main

main()
