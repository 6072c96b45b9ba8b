"""The tenant scope: which companies a caller may see, applied to every tenant-owned query here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Delete, Select, Update, false, true

S = TypeVar("S", bound=Select[Any] | Update | Delete)


@dataclass(frozen=True)
class Scope:
    """The companies a caller may see; `system` (operator commands, jobs) sees every company.

    >>> Scope.of(3, 4).allows(4)
    True
    """

    company_ids: frozenset[int]
    system: bool = False

    @classmethod
    def of(cls, *company_ids: int) -> Scope:
        return cls(frozenset(company_ids))

    @classmethod
    def companies(cls, company_ids: Iterable[int]) -> Scope:
        return cls(frozenset(company_ids))

    @classmethod
    def nothing(cls) -> Scope:
        return cls(frozenset())

    @classmethod
    def everything(cls) -> Scope:
        """The operator's scope (CLI admin commands, retention jobs): no tenant filter."""
        return cls(frozenset(), system=True)

    def allows(self, company_id: int | None) -> bool:
        return self.system or (company_id is not None and company_id in self.company_ids)

    def condition(self, company_column: Any) -> ColumnElement[bool]:
        """The WHERE clause that keeps rows whose company is in scope."""
        if self.system:
            return true()
        if not self.company_ids:
            return false()
        return company_column.in_(sorted(self.company_ids))  # type: ignore[no-any-return]

    def apply(self, statement: S, company_column: Any) -> S:
        """`statement` restricted to this scope: the one place tenant filtering happens."""
        return cast(S, statement.where(self.condition(company_column)))
