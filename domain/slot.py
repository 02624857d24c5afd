"""A slot's places: the consistency boundary that keeps a slot from being overbooked.

Every booking and cancellation of one slot is an event of this aggregate, so two writers that
both saw a free place cannot both save: the second one's version is taken (optimistic
concurrency). The command layer also serialises the writers of a slot with a lock, so the
version check is a safety net rather than a retry storm.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidState, SlotFull
from domain.halls import SlotTime

__all__ = ["Slot", "slot_aggregate_id"]

_NAMESPACE = uuid.UUID("9a3c8a51-44b6-4d3e-a7f4-736c6f747331")


def slot_aggregate_id(slot_id: str) -> UUID:
    """The aggregate id of a slot, derived from its public id (slots are opened lazily)."""
    return uuid.uuid5(_NAMESPACE, f"slot:{slot_id}")


class Slot(Aggregate):
    """The places of one slot, opened at its first booking with the template's capacity."""

    class Opened(Aggregate.Created):
        slot_id: str
        hall_id: str
        day: str
        start: str
        end: str
        capacity: int

    class PlaceTaken(Aggregate.Event):
        appointment_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.booked.append(str(self.appointment_id))

    class PlaceFreed(Aggregate.Event):
        appointment_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.booked.remove(str(self.appointment_id))

    def __init__(
        self, *, slot_id: str, hall_id: str, day: str, start: str, end: str, capacity: int
    ) -> None:
        self.slot_id = slot_id
        self.hall_id = hall_id
        self.day = day
        self.start = start
        self.end = end
        self.capacity = capacity
        self.booked: list[str] = []  # active appointment ids

    @classmethod
    def open(cls, slot: SlotTime, *, at: datetime) -> Slot:
        """Open a slot with the capacity its hall's template gives it now."""
        return cls._create(
            cls.Opened,
            id=slot_aggregate_id(slot.id),
            timestamp=at,
            slot_id=slot.id,
            hall_id=slot.hall_id,
            day=slot.day.isoformat(),
            start=slot.start.isoformat(),
            end=slot.end.isoformat(),
            capacity=slot.capacity,
        )

    @property
    def remaining(self) -> int:
        """Places still free."""
        return max(self.capacity - len(self.booked), 0)

    def take(self, appointment_id: UUID, *, at: datetime) -> None:
        """Take a place for a booking; ``SlotFull`` when none is left."""
        if str(appointment_id) in self.booked:
            raise InvalidState("该预约已占用此时段的名额", code="place_already_taken")
        if self.remaining == 0:
            raise SlotFull(f"该时段已约满（共{self.capacity}个名额）")
        self.trigger_event(self.PlaceTaken, timestamp=at, appointment_id=appointment_id)

    def free(self, appointment_id: UUID, *, at: datetime) -> None:
        """Give a cancelled booking's place back."""
        if str(appointment_id) not in self.booked:
            raise InvalidState("该预约未占用此时段的名额", code="place_not_taken")
        self.trigger_event(self.PlaceFreed, timestamp=at, appointment_id=appointment_id)
