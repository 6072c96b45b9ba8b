"""Sign-in with throttling: a growing delay, then a temporary lock, per account and per address.

After `free` failures in a row an account is locked for 1 s, then 2 s, 4 s … up to `max_lock`
seconds after each further failure; a locked account answers `RateLimited` (429 with
Retry-After) without its password being checked, unlocks by itself when the lock runs out, and
the operator can unlock it (`hooksmith admin unlock-user`). Accounts keep their count in the
database, so every server sees it. Client addresses (and emails no account has, which must
look the same as real ones) are counted in this process, with a higher allowance for addresses
that many people may share. Every sign-in event is logged with the user id or the address,
never the password.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.engine import not_text
from hooksmith.service.actors import Actor, actor_for_user
from hooksmith.service.errors import NotFound, RateLimited
from hooksmith.store import TenantRepository
from hooksmith.store.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    """When failures start to cost: `free` failures in a row, then 1, 2, 4 … `max_lock` s."""

    free: int
    max_lock: float

    def lock_after(self, failures: int) -> float:
        """Seconds locked after this many failures in a row (0: not locked).

        >>> [Schedule(free=3, max_lock=10).lock_after(n) for n in (2, 3, 4, 5, 9)]
        [0.0, 1.0, 2.0, 4.0, 10.0]
        """
        if failures < self.free:
            return 0.0
        return float(min(2.0 ** min(failures - self.free, 30), self.max_lock))


@dataclass
class _Count:
    failures: int = 0
    locked_until: float = 0.0  # time.monotonic()


@dataclass
class SignInThrottle:
    """The per-process part of the throttle: client addresses and emails of no account."""

    accounts: Schedule
    addresses: Schedule
    max_keys: int = 100_000
    locks: int = 0  # locks imposed by this process since it began (accounts and addresses)
    _counts: dict[str, _Count] = field(default_factory=dict)

    def wait(self, key: str) -> float:
        """Seconds before `key` may try again (0 when it may now)."""
        count = self._counts.get(key)
        return 0.0 if count is None else max(0.0, count.locked_until - time.monotonic())

    def failed(self, key: str, schedule: Schedule) -> float:
        """Count a failure of `key`; returns the seconds it is now locked for."""
        if len(self._counts) >= self.max_keys:
            self._forget_unlocked()
        count = self._counts.setdefault(key, _Count())
        count.failures += 1
        lock = schedule.lock_after(count.failures)
        count.locked_until = time.monotonic() + lock if lock else 0.0
        return lock

    def locked(self) -> int:
        """How many client addresses and unknown emails this process holds locked now."""
        now = time.monotonic()
        return sum(1 for count in self._counts.values() if count.locked_until > now)

    def succeeded(self, key: str) -> None:
        self._counts.pop(key, None)

    def _forget_unlocked(self) -> None:
        now = time.monotonic()
        for key in [k for k, c in self._counts.items() if c.locked_until <= now]:
            del self._counts[key]


async def sign_in(
    db: AsyncSession,
    throttle: SignInThrottle,
    email: str,
    password: str,
    *,
    client: str | None,
) -> Actor | None:
    """The actor of the user with this email and password; None when either is wrong (which one
    is not told); `RateLimited` while the account or the client address is locked."""
    address_key = f"address:{client or '?'}"
    _refuse_if_locked(throttle.wait(address_key), "too many failed sign-ins from your address")
    tenants = TenantRepository(db)
    user = await tenants.user_by_email(email) if not_text(email) is None else None
    email_key = f"email:{email.strip().lower()}"
    if user is not None:
        _refuse_if_locked(_seconds_until(user.locked_until), "this account is locked for now")
    else:
        _refuse_if_locked(throttle.wait(email_key), "this account is locked for now")
    if await tenants.check_password(user, password):
        assert user is not None
        await tenants.record_sign_in(user, ok=True, locked_until=None)
        await db.commit()
        throttle.succeeded(address_key)
        log.info("sign-in: user %d signed in from %s", user.id, client)
        return await actor_for_user(db, user.id)
    address_lock = throttle.failed(address_key, throttle.addresses)
    if user is not None:
        failures = (user.failed_sign_ins or 0) + 1
        lock = throttle.accounts.lock_after(failures)
        until = utcnow() + timedelta(seconds=lock) if lock else None
        await tenants.record_sign_in(user, ok=False, locked_until=until)
        await db.commit()
        log.warning(
            "sign-in: wrong password for user %d from %s (%d in a row)", user.id, client, failures
        )
    else:
        lock = throttle.failed(email_key, throttle.accounts)
        log.warning("sign-in: unknown email from %s", client)
    if lock or address_lock:
        throttle.locks += 1
        log.warning(
            "sign-in: locked for %.0f s (%s)",
            max(lock, address_lock),
            f"user {user.id}" if user is not None else f"address {client}",
        )
    return None


async def unlock_user(db: AsyncSession, email: str) -> None:
    """The operator's unlock: clear the account's failures and lock (`NotFound` if no user)."""
    if not_text(email) is not None or not await TenantRepository(db).unlock(email):
        raise NotFound(f"no user with the email {email!r}", field="email")
    await db.commit()
    log.info("sign-in: %s unlocked by the operator", email)


def _seconds_until(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    return max(0.0, (moment - utcnow()).total_seconds())


def _refuse_if_locked(seconds: float, why: str) -> None:
    if seconds > 0:
        retry_after = max(1, math.ceil(seconds))
        raise RateLimited(f"{why}; try again in {retry_after} s", retry_after=retry_after)
