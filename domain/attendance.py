"""A citizen's bookings across halls: one active booking per day, no-shows and the block.

One aggregate per citizen is the consistency boundary of the per-citizen rules: two bookings of
the same citizen for the same day cannot both be saved, because both would append to this
aggregate at the same version.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.appointment import (
    AlreadyBookedThatDay,
    Appointment,
    BookingBlocked,
    BookingPolicy,
    local_date,
)
from domain.calendar import chinese_date
from domain.errors import InvalidState

__all__ = ["CitizenBookings", "blocked_until", "citizen_bookings_id"]

_NAMESPACE = uuid.UUID("5d2f7a0e-8b1c-4f9e-a3d6-636974697a6e")


def citizen_bookings_id(citizen_id: UUID) -> UUID:
    """The aggregate id of a citizen's bookings, derived from the citizen id."""
    return uuid.uuid5(_NAMESPACE, f"citizen-bookings:{citizen_id}")


def blocked_until(
    no_show_days: Iterable[date], *, limit: int, window_days: int, block_days: int
) -> date | None:
    """The first day booking is allowed again, or None when not blocked.

    ``limit`` no-shows whose days lie within ``window_days`` (first to last) block booking for
    ``block_days`` from the day of the last of them.
    """
    days = sorted(no_show_days)
    until: date | None = None
    for last in range(limit - 1, len(days)):
        if (days[last] - days[last - limit + 1]).days < window_days:
            candidate = days[last] + timedelta(days=block_days)
            until = candidate if until is None else max(until, candidate)
    return until


class CitizenBookings(Aggregate):
    """Which days a citizen has an active booking on, and the no-shows on record."""

    class Started(Aggregate.Created):
        citizen_id: UUID

    class BookingAdded(Aggregate.Event):
        appointment_id: UUID
        day: str
        end: str

        def apply(self, aggregate: Any) -> None:
            aggregate.active[str(self.appointment_id)] = {"day": self.day, "end": self.end}

    class BookingClosed(Aggregate.Event):
        appointment_id: UUID
        outcome: str  # cancelled | checked_in

        def apply(self, aggregate: Any) -> None:
            aggregate.active.pop(str(self.appointment_id), None)

    class NoShowRecorded(Aggregate.Event):
        appointment_id: UUID
        day: str

        def apply(self, aggregate: Any) -> None:
            aggregate.active.pop(str(self.appointment_id), None)
            aggregate.no_shows.append(self.day)

    def __init__(self, citizen_id: UUID) -> None:
        self.citizen_id = citizen_id
        self.active: dict[str, dict[str, str]] = {}  # appointment id -> day, end
        self.no_shows: list[str] = []  # days

    @classmethod
    def start(cls, citizen_id: UUID, *, at: datetime) -> CitizenBookings:
        """The record of a citizen's first booking."""
        return cls._create(
            cls.Started, id=citizen_bookings_id(citizen_id), timestamp=at, citizen_id=citizen_id
        )

    def overdue(self, at: datetime, policy: BookingPolicy) -> list[UUID]:
        """Active bookings whose slot ended more than the grace period ago."""
        return [
            UUID(appointment_id)
            for appointment_id, entry in self.active.items()
            if at > datetime.fromisoformat(entry["end"]) + policy.no_show_grace
        ]

    def no_show_days(self, at: datetime, policy: BookingPolicy) -> list[date]:
        """Recorded no-shows, and overdue bookings not recorded yet (they count all the same)."""
        overdue = {str(a) for a in self.overdue(at, policy)}
        days = [date.fromisoformat(d) for d in self.no_shows]
        days.extend(date.fromisoformat(e["day"]) for a, e in self.active.items() if a in overdue)
        return days

    def blocked_until(self, at: datetime, policy: BookingPolicy) -> date | None:
        """The first day this citizen may book again, if booking is blocked at ``at``."""
        until = blocked_until(
            self.no_show_days(at, policy),
            limit=policy.no_show_limit,
            window_days=policy.no_show_window_days,
            block_days=policy.block_days,
        )
        return until if until is not None and local_date(at) < until else None

    def booking_refusal(
        self, day: date, *, at: datetime, policy: BookingPolicy
    ) -> tuple[str, str] | None:
        """Why this citizen cannot book on ``day`` (code, text), or None: blocked for no-shows,
        or another active booking that day (the slots list says so before the app tries)."""
        until = self.blocked_until(at, policy)
        if until is not None:
            text = (
                f"因{policy.no_show_window_days}日内爽约{policy.no_show_limit}次，"
                f"{chinese_date(until)}前不能预约"
            )
            return BookingBlocked.code, text
        if any(entry["day"] == day.isoformat() for entry in self.active.values()):
            text = f"您{chinese_date(day)}已有预约，每人每天限预约一次"
            return AlreadyBookedThatDay.code, text
        return None

    def ensure_can_book(self, day: date, *, at: datetime, policy: BookingPolicy) -> None:
        """Not blocked for no-shows, and no other active booking on ``day``."""
        refusal = self.booking_refusal(day, at=at, policy=policy)
        if refusal is None:
            return
        code, text = refusal
        raise (BookingBlocked if code == BookingBlocked.code else AlreadyBookedThatDay)(text)

    def add(self, appointment: Appointment, *, at: datetime) -> None:
        """Take the appointment's day."""
        self.trigger_event(
            self.BookingAdded,
            timestamp=at,
            appointment_id=appointment.id,
            day=appointment.day,
            end=appointment.end,
        )

    def close(
        self,
        appointment_id: UUID,
        outcome: Literal["cancelled", "checked_in"],
        *,
        at: datetime,
    ) -> None:
        """The booking is no longer active: cancelled frees the day, checked in is attended."""
        if str(appointment_id) not in self.active:
            raise InvalidState("该预约已不在有效状态", code="booking_not_active")
        self.trigger_event(
            self.BookingClosed, timestamp=at, appointment_id=appointment_id, outcome=outcome
        )

    def record_no_show(self, appointment: Appointment, *, at: datetime) -> None:
        """Count a missed appointment (see ``Appointment.mark_missed``)."""
        if str(appointment.id) not in self.active:
            raise InvalidState("该预约已不在有效状态", code="booking_not_active")
        self.trigger_event(
            self.NoShowRecorded, timestamp=at, appointment_id=appointment.id, day=appointment.day
        )
