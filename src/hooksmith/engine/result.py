"""The result object: what every execution returns and the service stores.

See docs/design.md#the-result-and-error-kinds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Outcome = Literal["success", "http_error", "timeout", "blocked", "failed"]
"""The one field a bot branches on; see `outcome_of`."""


def outcome_of(ok: bool, error_kind: str | None) -> Outcome:
    """The outcome of a result from its `ok` and its error kind.

    >>> outcome_of(False, "egress_blocked"), outcome_of(False, "circuit_open")
    ('blocked', 'failed')
    """
    if ok:
        return "success"
    if error_kind in ("egress_blocked", "host_not_allowed"):
        return "blocked"
    if error_kind == "timeout":
        return "timeout"
    if error_kind == "http_error":
        return "http_error"
    return "failed"


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
    default_used: bool = False


class ResultError(_Data):
    kind: str
    message: str
    field: str | None = None


class Attempt(_Data):
    """One try at sending: its status or error kind, how long it took and the wait before it."""

    number: int
    status: int | None = None
    error_kind: str | None = None
    duration_ms: float = 0.0
    waited_ms: float = 0.0


class Result(_Data):
    ok: bool
    outcome: Outcome = "success"
    status: int | None = None
    duration_ms: float = 0.0
    request: SentRequest | None = None
    response: ReceivedResponse | None = None
    custom_variables: dict[str, Any] = Field(default_factory=dict)
    mapping: list[VariableOutcome] = Field(default_factory=list)
    error: ResultError | None = None
    warnings: list[str] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)
    # True when the answer is the webhook's sample (docs/design.md#mock-answers): the request
    # was rendered but not sent.
    mock: bool = False

    @model_validator(mode="before")
    @classmethod
    def _derive_outcome(cls, data: Any) -> Any:
        """A result built (or stored) without `outcome` gets the one its `ok` and error imply."""
        if isinstance(data, dict) and "outcome" not in data:
            error = data.get("error")
            kind = error.get("kind") if isinstance(error, dict) else getattr(error, "kind", None)
            data = {**data, "outcome": outcome_of(bool(data.get("ok")), kind)}
        return data
