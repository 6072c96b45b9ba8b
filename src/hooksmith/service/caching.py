"""What the per-process caches share: a bounded table of the most recent entries, and the
cache of stored things by id that a change clears here at once and in other processes by
change notices (webhooks, company values)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.store import SecretBox

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def keep(entries: OrderedDict[K, V], key: K, value: V, capacity: int) -> None:
    """`value` as the newest entry at `key`; the oldest entries beyond `capacity` are dropped."""
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > capacity:
        entries.popitem(last=False)


class ChangedById(Generic[V]):
    """Values by id, each with when it was read (`max_age` says when to read it again).

    A change in this process calls `changed`: the entry is forgotten here and the id announced
    to the other processes (change notices), which `invalidate` theirs.
    """

    def __init__(
        self,
        open_db: async_sessionmaker[AsyncSession],
        box: SecretBox,
        *,
        max_age: float,
        capacity: int = 10_000,
    ) -> None:
        self.open_db = open_db
        self.box = box
        self.max_age = max_age
        self.capacity = capacity
        self._entries: OrderedDict[int, tuple[float, V]] = OrderedDict()
        self._epoch = 0  # bumped by every invalidation; a load begun before one stores nothing
        self.announce: Callable[[int], None] | None = None  # tells other processes (notices)

    def changed(self, ident: int) -> None:
        """A change in this process: forget the entry here and tell the other processes."""
        self.invalidate(ident)
        if self.announce is not None:
            self.announce(ident)

    def invalidate(self, ident: int) -> None:
        self._epoch += 1
        self._entries.pop(ident, None)

    def _store(self, ident: int, value: V, epoch: int) -> None:
        """Keep `value`, read since `epoch`, unless a change came in the meantime."""
        if epoch != self._epoch:
            return  # a change was made while this was read; the next call reads it again
        keep(self._entries, ident, (time.monotonic(), value), self.capacity)
