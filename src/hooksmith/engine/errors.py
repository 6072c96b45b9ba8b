"""The engine's errors, one per step that can fail.

    EngineError                 (kind: see docs/design.md#the-result-and-error-kinds)
     ├── InvalidDefinition      the webhook definition breaks a rule of "The webhook"
     ├── RenderError            a template, URL, header or body could not be rendered
     ├── EgressBlocked          the target address is refused by the egress guard
     ├── AuthFailed             no credentials to send: the OAuth2 token endpoint gave no token
     ├── CircuitOpen            the target's circuit breaker is open: nothing was sent
     ├── SendError
     │    ├── ConnectError      no connection could be made (DNS, refused, TLS)
     │    ├── Timeout           the total deadline ran out (the message names the phase)
     │    │    └── NoFreeConnection   ... while waiting for a connection slot (capacity)
     │    └── TooLarge          the decoded response is larger than the cap
     ├── InvalidResponse        the response could not be parsed by its response type
     ├── MappingError           a Response Mapper could not be compiled
     └── NoSample               a mocked execution has no sample answer: nothing was sent

A non-2xx response is not an exception: it is data in the result (kind `http_error`).
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every engine error; `kind` is the error kind shown in results."""

    kind = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidDefinition(EngineError):
    """The definition breaks a rule; `errors` lists every (field, message) found."""

    kind = "invalid_definition"

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        text = "; ".join(f"{field}: {message}" if field else message for field, message in errors)
        super().__init__(text, field=errors[0][0] if errors else None)


class RenderError(EngineError):
    kind = "render_error"


class EgressBlocked(EngineError):
    kind = "egress_blocked"


class AuthFailed(EngineError):
    """No token could be obtained for the webhook's auth; `status` is the token endpoint's."""

    kind = "auth_failed"

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None):
        super().__init__(message, field=field)
        self.status = status


class CircuitOpen(EngineError):
    """Recent requests to this origin kept failing; it is given a rest before the next probe."""

    kind = "circuit_open"


class SendError(EngineError):
    kind = "send_error"


class ConnectError(SendError):
    kind = "connect_error"


class Timeout(SendError):
    kind = "timeout"


class NoFreeConnection(Timeout):
    """The deadline ran out before a connection slot was free; nothing was sent."""


class TooLarge(SendError):
    kind = "too_large"


class InvalidResponse(EngineError):
    kind = "invalid_response"


class MappingError(EngineError):
    kind = "mapping_error"


class NoSample(EngineError):
    """A mocked execution was asked for, but there is no sample answer to read."""

    kind = "no_sample"
