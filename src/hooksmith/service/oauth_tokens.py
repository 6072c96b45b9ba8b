"""The engine's OAuth2 token store, kept in the database so every server shares each token.

See docs/design.md#oauth2-client-credentials. A database that cannot answer, or a token no key
opens, counts as no token: the engine then fetches one, and an execute never fails for it.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import Token
from hooksmith.store import OAuthTokenRepository, SecretBox, SecretUnreadable

log = logging.getLogger(__name__)


class StoredTokens:
    """`TokenStore` on the `oauth_tokens` table; `company` is the company's id."""

    def __init__(self, open_db: async_sessionmaker[AsyncSession], box: SecretBox) -> None:
        self.open_db = open_db
        self.box = box

    async def load(self, key: str, company: Hashable) -> Token | None:
        if not isinstance(company, int):
            return None
        try:
            async with self.open_db() as db:
                found = await OAuthTokenRepository(db, self.box).load(key, company)
        except (SQLAlchemyError, SecretUnreadable, OSError) as error:
            log.warning("oauth token store: no stored token read (%s)", type(error).__name__)
            return None
        return None if found is None else Token(value=found[0], usable_until=found[1])

    async def save(self, key: str, company: Hashable, token: Token) -> None:
        if not isinstance(company, int):
            return
        try:
            async with self.open_db() as db:
                repository = OAuthTokenRepository(db, self.box)
                await repository.save(key, company, token.value, token.usable_until)
                await db.commit()
        except (SQLAlchemyError, OSError) as error:
            # Another server saved the same key at the same moment, or the database is away:
            # this server keeps its token in memory all the same.
            log.info("oauth token store: token not shared (%s)", type(error).__name__)

    async def drop(self, key: str) -> None:
        try:
            async with self.open_db() as db:
                await OAuthTokenRepository(db, self.box).drop(key)
                await db.commit()
        except (SQLAlchemyError, OSError) as error:
            log.warning("oauth token store: token not dropped (%s)", type(error).__name__)
