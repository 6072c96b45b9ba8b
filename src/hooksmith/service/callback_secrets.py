"""Callback signing secrets per company: rotated by an admin (shown once), used by deliveries.

Each company's receivers verify with the company's own secret, so no company can verify, or
forge, another's callbacks. A rotation keeps the previous secret signing beside the new one
for an overlap (both `v1=` signatures are sent), so receivers can switch without a gap. Until
a company's admin first rotates, its callbacks are signed with a key derived for that company
alone from the install's callback secret.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.service.actors import Actor
from hooksmith.service.errors import Forbidden, NotFound
from hooksmith.store import SecretBox, TenantRepository
from hooksmith.store.callback_secrets import CallbackSecretRepository


class NewCallbackSecret(BaseModel):
    """A company's new callback secret, shown once, and until when the previous one still signs."""

    company: str
    secret: str
    previous_valid_until: datetime


async def rotate_callback_secret(
    db: AsyncSession, box: SecretBox, actor: Actor, company: str, *, overlap: float
) -> NewCallbackSecret:
    """A new signing secret for `company` (an admin of it or of its agency asks)."""
    if not actor.is_admin:
        raise Forbidden("only administrators may rotate a company's callback secret")
    found = await TenantRepository(db).company_by_slug(actor.scope, company)
    if found is None:
        raise NotFound(f"company: no company {company!r}", field="company")
    secret, until = await CallbackSecretRepository(db, box).rotate(found.id, overlap=overlap)
    await db.commit()
    return NewCallbackSecret(company=found.slug, secret=secret, previous_valid_until=until)


async def signing_keys(
    open_db: async_sessionmaker[AsyncSession], box: SecretBox, install: bytes, company_id: int
) -> list[bytes]:
    """The keys that sign a callback of the company now, newest first."""
    async with open_db() as db:
        stored = await CallbackSecretRepository(db, box).signing(company_id)
    if stored:
        return [secret.encode() for secret in stored]
    return [derived_key(install, company_id)]


def derived_key(install: bytes, company_id: int) -> bytes:
    """The company's key before its first rotation: the install's secret never signs itself.

    >>> derived_key(b"k", 1) != derived_key(b"k", 2)
    True
    """
    label = f"hooksmith company callback key {company_id}".encode()
    return hmac.new(install, label, hashlib.sha256).hexdigest().encode()
