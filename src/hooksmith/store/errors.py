"""The storage layer's errors, none of which knows about HTTP.

StoreError
 ├── NotFound           the row does not exist or lies outside the caller's scope
 ├── RevisionConflict   the row changed since the caller read it (optimistic revision check)
 ├── SecretUnreadable   a stored secret cannot be decrypted (wrong key, or copied elsewhere)
 └── Duplicate          a unique value (slug, email) is already taken
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every storage error."""


class NotFound(StoreError):
    """The row does not exist, or the scope does not reach it (the two are never told apart)."""


class RevisionConflict(StoreError):
    """An update named a revision that is no longer the current one."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(
            f"revision: the webhook changed since it was read (expected {expected}, "
            f"now {current}); reload it and apply the change again"
        )
        self.expected = expected
        self.current = current


class SecretUnreadable(StoreError):
    """A ciphertext could not be decrypted with the configured keys for this company and webhook."""


class Duplicate(StoreError):
    """A unique value is already taken; `field` names it."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"{field}: {value!r} is already taken")
        self.field = field
        self.value = value
