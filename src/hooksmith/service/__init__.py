"""Use cases of the service: tenancy, webhook CRUD, test and live runs, run history, first run."""

from __future__ import annotations
