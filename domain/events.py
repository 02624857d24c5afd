"""What every aggregate event of ours is, as stores and read models handle it."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import CanMutateAggregate

__all__ = ["Event"]

# An event of one of our aggregates (ids are UUIDs), as decoded from the store.
Event = CanMutateAggregate[UUID]
