"""OAuth2 access tokens shared by the servers: encrypted with the secret box, by a key that is a
hash (no secret readable in it), until shortly before they expire."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store.models import OAuthTokenRow, utcnow
from hooksmith.store.secrets import SecretBox

# Tokens are shared by the webhooks of a company with the same credentials, so their
# ciphertext is bound to the company and to no webhook.
NO_WEBHOOK = 0


class OAuthTokenRepository:
    """Stored tokens by key; `company_id` binds each ciphertext to its company."""

    def __init__(self, db: AsyncSession, box: SecretBox) -> None:
        self.db = db
        self.box = box

    async def load(self, key: str, company_id: int) -> tuple[str, float] | None:
        """The token stored under `key` and the Unix time it is usable until, if not expired."""
        row = await self.db.get(OAuthTokenRow, key)
        if row is None or row.company_id != company_id or row.expires_at <= utcnow():
            return None
        token = self.box.decrypt(row.token_ciphertext, company_id=company_id, webhook_id=NO_WEBHOOK)
        return token, row.expires_at.timestamp()

    async def save(self, key: str, company_id: int, token: str, usable_until: float) -> None:
        """Keep `token` under `key` (replacing any older one), and forget expired tokens."""
        now = utcnow()
        await self.db.execute(delete(OAuthTokenRow).where(OAuthTokenRow.expires_at <= now))
        await self.db.execute(delete(OAuthTokenRow).where(OAuthTokenRow.key == key))
        self.db.add(
            OAuthTokenRow(
                key=key,
                company_id=company_id,
                token_ciphertext=self.box.encrypt(
                    token, company_id=company_id, webhook_id=NO_WEBHOOK
                ),
                expires_at=datetime.fromtimestamp(usable_until, UTC),
            )
        )
        await self.db.flush()

    async def drop(self, key: str) -> None:
        """Forget the token under `key` (the API refused it)."""
        await self.db.execute(delete(OAuthTokenRow).where(OAuthTokenRow.key == key))

    async def count(self) -> int:
        """How many tokens are stored (for tests and figures)."""
        return int(await self.db.scalar(select(func.count()).select_from(OAuthTokenRow)) or 0)
