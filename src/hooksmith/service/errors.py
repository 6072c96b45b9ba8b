"""The service layer's errors; none carries an HTTP status (the API maps them in one table).

ServiceError
 ├── NotFound         the thing does not exist or lies outside the caller's tenancy
 ├── Unauthorized     the caller did not prove who it is (no or bad credentials)
 ├── Forbidden        the caller is known but may not do this (`field` names what it tried)
 ├── Conflict         the request collides with the stored state (stale revision, taken slug)
 ├── InvalidInput     the input breaks a rule; `field` names where
 └── RateLimited      the company is over its rate or concurrency limit; `retry_after` seconds
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every service error: a message for people and the field it is about, if any."""

    kind = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    kind = "not_found"


class Unauthorized(ServiceError):
    kind = "unauthorized"


class Forbidden(ServiceError):
    kind = "forbidden"


class Conflict(ServiceError):
    kind = "conflict"


class InvalidInput(ServiceError):
    kind = "invalid_input"


class RateLimited(ServiceError):
    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
