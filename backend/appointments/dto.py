"""Request and response bodies of halls and appointments (camelCase JSON)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from backend.http.dto import Body, Dto
from domain.appointment import AppointmentStatus
from domain.halls import SlotPeriod

__all__ = [
    "AppointmentView",
    "BookAppointment",
    "BookedAppointment",
    "CheckedIn",
    "HallAppointment",
    "HallView",
    "OpenDate",
    "SlotView",
]


class BookAppointment(Body, frozen=True):
    """What a citizen books: a slot, the service it is for, and optionally the application."""

    slot_id: str
    service_code: str
    application_id: UUID | None = None


class HallView(Dto, frozen=True):
    id: str
    name: str
    address: str
    departments: tuple[str, ...]
    opening_hours: str
    periods: tuple[SlotPeriod, ...]
    queue_prefix: str
    description: str = ""


class OpenDate(Dto, frozen=True):
    """A day of the booking window at a hall: how many of its slots still have places, and
    how many places in all (``bookable`` when any), so the app need not probe day by day."""

    date: date
    slots: int
    open_slots: int
    remaining: int
    bookable: bool


class SlotView(Dto, frozen=True):
    """``bookable`` for the caller now; when not, ``reason`` is the code the booking would be
    refused with (``slot_full``, ``outside_booking_window``, ``hall_closed_that_day``; for a
    logged-in citizen also ``appointment_exists_that_day``, ``booking_blocked``) and
    ``reasonText`` what to show."""

    slot_id: str
    start: datetime
    end: datetime
    capacity: int
    remaining: int
    id: str = ""  # the same as slotId: ``id`` is every resource's own id
    bookable: bool = True
    reason: str | None = None
    reason_text: str | None = None


class BookedAppointment(Dto, frozen=True):
    """A booking command's outcome; pass ``position`` as ``?after=`` to read your own write."""

    id: str
    slot_id: str
    start: datetime
    status: AppointmentStatus
    position: int


class AppointmentView(Dto, frozen=True):
    id: str
    slot_id: str
    hall_id: str
    hall_name: str
    hall_address: str
    start: datetime
    end: datetime
    service_code: str
    service_name: str
    status: AppointmentStatus
    application_id: str | None = None
    queue_number: str | None = None


class HallAppointment(AppointmentView, frozen=True):
    citizen_id: str = ""


class CheckedIn(Dto, frozen=True):
    id: str
    queue_number: str
    status: AppointmentStatus
    position: int
