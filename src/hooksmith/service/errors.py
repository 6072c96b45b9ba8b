"""The service layer's errors; none carries an HTTP status (`hooksmith.deps.STATUS`
maps them, for the API and the pages alike).

ServiceError
 ├── NotFound         the thing does not exist or lies outside the caller's tenancy
 ├── Unauthorized     the caller did not prove who it is (no or bad credentials)
 ├── Forbidden        the caller is known but may not do this (`field` names what it tried)
 ├── Conflict         the request collides with the stored state
 │    ├── RevisionConflict   someone saved since the caller read (`field` is `revision`)
 │    ├── Duplicate          a unique value (slug, email) is taken; `field` names it
 │    └── SecretUnreadable   a stored secret cannot be decrypted with the configured keys
 ├── InvalidInput     the input breaks a rule; `field` names where
 ├── RateLimited      the company is over its rate or concurrency limit; `retry_after` seconds
 └── Unavailable      the database or the job queue cannot be reached in time; `retry_after`

Storage errors never leave the service: `store_errors()` turns them into these.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hooksmith import store


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


class RevisionConflict(Conflict):
    kind = "revision_conflict"


class Duplicate(Conflict):
    kind = "duplicate"


class SecretUnreadable(Conflict):
    kind = "secret_unreadable"


class InvalidInput(ServiceError):
    kind = "invalid_input"


class RateLimited(ServiceError):
    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    kind = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def unavailable(error: BaseException) -> Unavailable | None:
    """The service's answer to an error that says the database (or the queue on it) cannot be
    reached or used in time, else None; nothing of the driver's message is passed on."""
    if store.unreachable(error):
        return Unavailable("the database is unavailable or overloaded; try again in a moment")
    return None


@contextmanager
def store_errors() -> Iterator[None]:
    """Inside, a storage error is raised as the service's own, with its message and field."""
    try:
        yield
    except store.RevisionConflict as error:
        raise RevisionConflict(str(error), field="revision") from error
    except store.Duplicate as error:
        raise Duplicate(str(error), field=error.field) from error
    except store.SecretUnreadable as error:
        raise SecretUnreadable(str(error)) from error
    except store.NotFound as error:
        raise NotFound(str(error)) from error
