"""Companies' callback signing secrets: encrypted at rest, rotated with an overlap."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store.models import CallbackSecret, utcnow
from hooksmith.store.secrets import SecretBox, reencrypt_all

SECRET_PREFIX = "whsec_"
COMPANY_SECRET = 0  # the webhook id a company-wide secret is bound to in the secret box


class CallbackSecretRepository:
    """The signing secrets of each company, newest first."""

    def __init__(self, db: AsyncSession, box: SecretBox) -> None:
        self.db = db
        self.box = box

    async def signing(self, company_id: int, *, now: datetime | None = None) -> list[str]:
        """The secrets that sign the company's callbacks now: the newest, and any still in
        their overlap after a rotation."""
        moment = now or utcnow()
        rows = await self.db.scalars(
            select(CallbackSecret)
            .where(
                CallbackSecret.company_id == company_id,
                or_(CallbackSecret.retires_at.is_(None), CallbackSecret.retires_at > moment),
            )
            .order_by(CallbackSecret.created_at.desc(), CallbackSecret.id.desc())
        )
        return [
            self.box.decrypt(row.ciphertext, company_id=company_id, webhook_id=COMPANY_SECRET)
            for row in rows
        ]

    async def reencrypt(self) -> int:
        """Re-encrypt every stored callback secret with the newest key; returns how many."""
        return await reencrypt_all(self.db, self.box, CallbackSecret)

    async def rotate(self, company_id: int, *, overlap: float) -> tuple[str, datetime]:
        """A new secret for the company (its plaintext, returned once) and until when the
        previous ones keep signing beside it."""
        now = utcnow()
        until = now + timedelta(seconds=overlap)
        await self.db.execute(
            update(CallbackSecret)
            .where(
                CallbackSecret.company_id == company_id,
                or_(CallbackSecret.retires_at.is_(None), CallbackSecret.retires_at > until),
            )
            .values(retires_at=until)
        )
        plaintext = SECRET_PREFIX + secrets.token_urlsafe(32)
        ciphertext = self.box.encrypt(plaintext, company_id=company_id, webhook_id=COMPANY_SECRET)
        self.db.add(CallbackSecret(company_id=company_id, ciphertext=ciphertext, created_at=now))
        await self.db.flush()
        return plaintext, until
