"""Rotation of the secret key: every stored secret re-encrypted with the newest key at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.service.errors import store_errors
from hooksmith.store import Scope, SecretBox, WebhookRepository
from hooksmith.store.callback_secrets import CallbackSecretRepository
from hooksmith.store.company_values import CompanyValueRepository


@dataclass(frozen=True)
class Rotated:
    """How many stored secrets now open with the newest key."""

    webhook_secrets: int
    callback_secrets: int
    company_secrets: int = 0


async def reencrypt_secrets(db: AsyncSession, box: SecretBox) -> Rotated:
    """Re-encrypt webhook, callback and company secrets with `box`'s newest key, in one transaction,
    so that the older keys can then be dropped from `HOOKSMITH_SECRET_KEY`."""
    with store_errors():
        webhooks = await WebhookRepository(db, box).rotate_secrets(Scope.everything())
        callbacks = await CallbackSecretRepository(db, box).reencrypt()
        company = await CompanyValueRepository(db, box).reencrypt()
    await db.commit()
    return Rotated(webhook_secrets=webhooks, callback_secrets=callbacks, company_secrets=company)
