"""The base of the JSON bodies the API reads: a field it does not know is refused (422), so a
typo is an error rather than a setting silently ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")
