"""Encryption of webhook secrets at rest, bound to their company and webhook, with key rotation."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TypeVar

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store.errors import SecretUnreadable
from hooksmith.store.models import CallbackSecret, CompanySecretRow

KEY_FILE = "secret.key"
# The tables whose rows keep one secret in a `ciphertext` column.
_Sealed = TypeVar("_Sealed", CallbackSecret, CompanySecretRow)


class SecretBox:
    """Encrypts with the first key and decrypts with any of them, so a key is rotated by adding a
    new one in front and re-saving (or simply keeping) the old ciphertexts.

        >>> box = SecretBox([Fernet.generate_key().decode()])
        >>> box.decrypt(box.encrypt("s3cret", company_id=1, webhook_id=2), company_id=1,
        ...             webhook_id=2)
        's3cret'
    """

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("HOOKSMITH_SECRET_KEY: at least one key is needed")
        fernets: list[Fernet] = []
        for number, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode()))
            except ValueError:
                raise ValueError(
                    f"HOOKSMITH_SECRET_KEY: key {number} is not a Fernet key (32 url-safe "
                    "base64-encoded bytes; create one with `python -c 'from cryptography.fernet "
                    "import Fernet; print(Fernet.generate_key().decode())'`)"
                ) from None
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_setting(cls, value: str | None, var_dir: Path) -> SecretBox:
        """The box for HOOKSMITH_SECRET_KEY (comma-separated, newest first), else the key file."""
        if value and value.strip():
            return cls([key for key in value.split(",") if key.strip()])
        return cls([load_or_create_key(var_dir)])

    def encrypt(self, secret: str, *, company_id: int, webhook_id: int) -> str:
        """A ciphertext of `secret` that only decrypts for this company and webhook."""
        envelope = json.dumps({"c": company_id, "w": webhook_id, "s": secret})
        return self._fernet.encrypt(envelope.encode()).decode("ascii")

    def decrypt(self, token: str, *, company_id: int, webhook_id: int) -> str:
        """The secret in `token`; `SecretUnreadable` if no key opens it or it belongs elsewhere."""
        try:
            envelope = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, UnicodeError, ValueError):
            raise SecretUnreadable(
                "the stored secret cannot be decrypted with the server's keys (an operator "
                "may have replaced them); set the secret again"
            ) from None
        if envelope.get("c") != company_id or envelope.get("w") != webhook_id:
            raise SecretUnreadable(
                "the stored secret belongs to another webhook and cannot be used here; "
                "set the secret again"
            )
        secret = envelope.get("s")
        if not isinstance(secret, str):
            raise SecretUnreadable("the stored secret is malformed; set the secret again")
        return secret

    def encrypt_named(self, secret: str, *, company_id: int, name: str) -> str:
        """A ciphertext of a company secret that only decrypts for this company and name."""
        envelope = json.dumps({"c": company_id, "n": name, "s": secret})
        return self._fernet.encrypt(envelope.encode()).decode("ascii")

    def decrypt_named(self, token: str, *, company_id: int, name: str) -> str:
        """The company secret in `token`; `SecretUnreadable` if no key opens it or it is
        another company's or another name's."""
        try:
            envelope = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, UnicodeError, ValueError):
            raise SecretUnreadable(
                f"the company secret {name!r} cannot be decrypted with the server's keys; "
                "set it again"
            ) from None
        secret = envelope.get("s")
        if envelope.get("c") != company_id or envelope.get("n") != name:
            raise SecretUnreadable(f"the stored value of {name!r} belongs elsewhere; set it again")
        if not isinstance(secret, str):
            raise SecretUnreadable(f"the company secret {name!r} is malformed; set it again")
        return secret

    def rotate(self, token: str) -> str:
        """`token` re-encrypted with the newest key (its company and webhook binding kept)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise SecretUnreadable(
                "the stored secret cannot be decrypted with the configured keys"
            ) from None


async def reencrypt_all(db: AsyncSession, box: SecretBox, table: type[_Sealed]) -> int:
    """Re-encrypt each row's `ciphertext` in `table` with the newest key; returns how many."""
    rows = await db.scalars(select(table))
    count = 0
    for row in rows:
        row.ciphertext = box.rotate(row.ciphertext)
        count += 1
    await db.flush()
    return count


def load_or_create_key(var_dir: Path) -> str:
    """The embedded default key in `var_dir/secret.key`, generated (mode 0600) on first use."""
    path = var_dir / KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    var_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    draft = var_dir / f".{KEY_FILE}.{os.getpid()}"
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    try:
        # A hard link is created whole or not at all: when two processes start at once, one
        # key wins and both read it.
        os.link(draft, path)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    finally:
        draft.unlink()
    return key
