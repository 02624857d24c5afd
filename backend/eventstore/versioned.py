"""What a process derived from an aggregate at one version, kept for the next command.

Replaying a stream that rarely changes (a service item, read by every submission) and parsing
what it holds cost more CPU per submission than anything but its save. An entry here is only
a candidate: a caller uses it after the database confirmed, in a query it makes anyway, that
the stream is still at the entry's version, and otherwise loads the aggregate again. So another
process's change is seen by the very next command, exactly as a replay would see it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar
from uuid import UUID

import msgspec

__all__ = ["Versioned", "VersionedCache"]

T = TypeVar("T")


class Versioned(msgspec.Struct, Generic[T], frozen=True):
    """``value`` as derived from the aggregate ``id`` at ``version``; never mutate it."""

    id: UUID
    version: int
    value: T


class VersionedCache(Generic[T]):
    """The last ``Versioned`` value per aggregate (least recently used ones dropped)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[UUID, Versioned[T]] = OrderedDict()

    def get(self, aggregate_id: UUID) -> Versioned[T] | None:
        """The candidate for ``aggregate_id`` (still to be confirmed by its version)."""
        entry = self._entries.get(aggregate_id)
        if entry is not None:
            self._entries.move_to_end(aggregate_id)
        return entry

    def put(self, entry: Versioned[T]) -> Versioned[T]:
        """Keep ``entry`` unless a newer version is kept already; return the one kept."""
        kept = self._entries.get(entry.id)
        if kept is not None and kept.version > entry.version:
            return kept
        self._entries[entry.id] = entry
        self._entries.move_to_end(entry.id)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry
