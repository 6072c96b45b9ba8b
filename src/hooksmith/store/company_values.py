"""A company's named secrets (encrypted, with their allowed hosts) and variables."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.store.models import CompanySecretRow, CompanyVariableRow, utcnow
from hooksmith.store.secrets import SecretBox, reencrypt_all


class CompanyValueRepository:
    """The secrets and variables of companies, by company id and name."""

    def __init__(self, db: AsyncSession, box: SecretBox) -> None:
        self.db = db
        self.box = box

    async def secrets(self, company_id: int) -> list[CompanySecretRow]:
        rows = await self.db.scalars(
            select(CompanySecretRow)
            .where(CompanySecretRow.company_id == company_id)
            .order_by(CompanySecretRow.name)
        )
        return list(rows)

    async def variables(self, company_id: int) -> list[CompanyVariableRow]:
        rows = await self.db.scalars(
            select(CompanyVariableRow)
            .where(CompanyVariableRow.company_id == company_id)
            .order_by(CompanyVariableRow.name)
        )
        return list(rows)

    def secret_value(self, row: CompanySecretRow) -> str:
        """The plaintext of a stored secret; `SecretUnreadable` when it cannot be decrypted."""
        return self.box.decrypt_named(row.ciphertext, company_id=row.company_id, name=row.name)

    async def count(self, company_id: int) -> tuple[int, int]:
        """How many secrets and how many variables the company has."""
        secrets = await self.db.scalar(
            select(func.count()).where(CompanySecretRow.company_id == company_id)
        )
        variables = await self.db.scalar(
            select(func.count()).where(CompanyVariableRow.company_id == company_id)
        )
        return int(secrets or 0), int(variables or 0)

    async def put_secret(
        self,
        company_id: int,
        name: str,
        value: str | None,
        allowed_hosts: list[str],
        *,
        user_id: int | None,
    ) -> tuple[CompanySecretRow, bool]:
        """Create or update a secret (a new value is a rotation); True when it was created.
        A None value keeps the stored one (only the allowed hosts change)."""
        row = await self.db.scalar(
            select(CompanySecretRow).where(
                CompanySecretRow.company_id == company_id, CompanySecretRow.name == name
            )
        )
        created = row is None
        if row is None:
            assert value is not None
            row = CompanySecretRow(company_id=company_id, name=name, created_at=utcnow())
            self.db.add(row)
        elif value is not None:
            row.rotated_at = utcnow()
        if value is not None:
            row.ciphertext = self.box.encrypt_named(value, company_id=company_id, name=name)
        row.allowed_hosts = list(allowed_hosts)
        row.updated_by = user_id
        await self.db.flush()
        return row, created

    async def put_variable(self, company_id: int, name: str, value: str) -> CompanyVariableRow:
        row = await self.db.scalar(
            select(CompanyVariableRow).where(
                CompanyVariableRow.company_id == company_id, CompanyVariableRow.name == name
            )
        )
        if row is None:
            row = CompanyVariableRow(company_id=company_id, name=name)
            self.db.add(row)
        row.value = value
        row.updated_at = utcnow()
        await self.db.flush()
        return row

    async def has_secret(self, company_id: int, name: str) -> bool:
        found = await self.db.scalar(
            select(CompanySecretRow.id).where(
                CompanySecretRow.company_id == company_id, CompanySecretRow.name == name
            )
        )
        return found is not None

    async def delete_secret(self, company_id: int, name: str) -> bool:
        done = await self.db.execute(
            delete(CompanySecretRow).where(
                CompanySecretRow.company_id == company_id, CompanySecretRow.name == name
            )
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def delete_variable(self, company_id: int, name: str) -> bool:
        done = await self.db.execute(
            delete(CompanyVariableRow).where(
                CompanyVariableRow.company_id == company_id, CompanyVariableRow.name == name
            )
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def reencrypt(self) -> int:
        """Re-encrypt every company secret with the newest key; returns how many."""
        return await reencrypt_all(self.db, self.box, CompanySecretRow)
