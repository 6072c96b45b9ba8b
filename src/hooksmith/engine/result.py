"""The result object of DESIGN.md §2.6: what every execution returns and the service stores."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HeaderLine(_Data):
    key: str
    value: str


class SentRequest(_Data):
    """The request as it was (or would be) sent, secrets redacted."""

    method: str
    url: str
    headers: list[HeaderLine] = Field(default_factory=list)
    body: str | None = None


class ReceivedResponse(_Data):
    status: int
    headers: list[HeaderLine] = Field(default_factory=list)
    body: Any = None
    size: int = 0
    truncated: bool = False


class VariableOutcome(_Data):
    """One custom variable after mapping: its value, or the reason it has none."""

    name: str
    mapper: str
    value: Any = None
    found: bool = False
    reason: str | None = None


class ResultError(_Data):
    kind: str
    message: str
    field: str | None = None


class Result(_Data):
    ok: bool
    status: int | None = None
    duration_ms: float = 0.0
    request: SentRequest | None = None
    response: ReceivedResponse | None = None
    custom_variables: dict[str, Any] = Field(default_factory=dict)
    mapping: list[VariableOutcome] = Field(default_factory=list)
    error: ResultError | None = None
    warnings: list[str] = Field(default_factory=list)
