"""Appointments at service halls (预约取号): booking rules and one booking's life.

A booking is ``booked`` until it is ``cancelled`` (by the citizen, up to a cut-off before the
start), ``checked_in`` (staff at the hall hand out a queue number) or ``no_show`` (not checked
in by the end of its slot plus a grace period). Places are counted by ``domain.slot.Slot`` and
the one-booking-per-day and no-show rules by ``domain.attendance.CitizenBookings``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from domain.actors import Actor
from domain.calendar import CST, WorkingCalendar, chinese_date
from domain.catalog import ServiceDefinition
from domain.errors import InvalidState, NotFound, ValidationFailed
from domain.halls import HallDefinition, SlotTime

__all__ = [
    "AlreadyBookedThatDay",
    "Appointment",
    "AppointmentStatus",
    "BookingBlocked",
    "BookingPolicy",
    "cancel_deadline",
    "check_bookable",
    "local_date",
    "queue_number",
    "window_days",
    "window_refusal",
]

AppointmentStatus = Literal["booked", "cancelled", "checked_in", "no_show"]
APPOINTMENT_NAMES: dict[str, str] = {
    "booked": "已预约",
    "cancelled": "已取消",
    "checked_in": "已签到",
    "no_show": "已爽约",
}


class AlreadyBookedThatDay(InvalidState):
    """A citizen holds at most one active booking per day."""

    code = "appointment_exists_that_day"


class BookingBlocked(InvalidState):
    """Repeated no-shows: the citizen may not book until a date."""

    code = "booking_blocked"


class BookingPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """The configurable numbers of the booking rules."""

    min_days_ahead: int = 1  # working days after today
    max_days_ahead: int = 5
    cancel_cutoff: timedelta = timedelta(hours=2)  # cancel up to this long before the start
    no_show_grace: timedelta = timedelta(minutes=15)  # after the slot's end
    no_show_limit: int = 3  # this many no-shows ...
    no_show_window_days: int = 90  # ... within this many days ...
    block_days: int = 90  # ... block booking for this many days


def cancel_deadline(start: datetime, cutoff: timedelta) -> datetime:
    """The last moment a booking starting at ``start`` may be cancelled."""
    return start - cutoff


def local_date(at: datetime) -> date:
    """The calendar day in China at ``at``."""
    return at.astimezone(CST).date()


def check_bookable(
    *,
    policy: BookingPolicy,
    calendar: WorkingCalendar,
    hall: HallDefinition,
    slot: SlotTime,
    service: ServiceDefinition,
    at: datetime,
) -> None:
    """The hall handles the service, opens that day, and the day is within the booking window.

    "Ahead" counts working days after today (China time): with the default 1..5, on a Friday the
    next Monday is 1 ahead; days in a holiday (e.g. National Day) do not count.
    """
    refusals: dict[str, tuple[str, str]] = {}  # field -> (code, what is wrong)
    if not hall.serves(service.department):
        refusals["serviceCode"] = ("service_not_at_hall", f"{hall.name}不办理{service.name}")
    refusal = window_refusal(policy=policy, calendar=calendar, day=slot.day, at=at)
    if refusal is not None:
        refusals["slotId"] = refusal
    if refusals:
        codes = [code for code, _ in refusals.values()]
        raise ValidationFailed(
            "该时段不能预约",
            {field: text for field, (_, text) in refusals.items()},
            code=codes[-1],  # the slot's own reason first, the hall's otherwise
        )


def window_refusal(
    *, policy: BookingPolicy, calendar: WorkingCalendar, day: date, at: datetime
) -> tuple[str, str] | None:
    """Why ``day`` cannot be booked at ``at`` (code, text): closed that day, or outside the
    booking window; None when it is within it."""
    if not calendar.is_working_day(day):
        return "hall_closed_that_day", "大厅当天不开放"
    ahead = calendar.working_days_between(local_date(at), day)
    if not policy.min_days_ahead <= ahead <= policy.max_days_ahead:
        return (
            "outside_booking_window",
            f"请预约{policy.min_days_ahead}至{policy.max_days_ahead}个工作日后的时段",
        )
    return None


def window_days(*, policy: BookingPolicy, calendar: WorkingCalendar, at: datetime) -> list[date]:
    """The days a booking made at ``at`` may fall on, in order: those ``window_refusal``
    admits, up to the last working day of the window."""
    today = local_date(at)
    last = calendar.add_working_days(today, policy.max_days_ahead)
    days = (today + timedelta(days=n) for n in range((last - today).days + 1))
    return [
        day
        for day in days
        if window_refusal(policy=policy, calendar=calendar, day=day, at=at) is None
    ]


def queue_number(prefix: str, sequence: int) -> str:
    """The number called at the hall, e.g. ``A017``: the hall's letter and the day's sequence."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{prefix}{sequence:03d}"


class Appointment(Aggregate):
    """One citizen's booking of one slot for one service."""

    # Event names are part of the contract with notifications and progress: keep them.

    class AppointmentBooked(Aggregate.Created):
        citizen_id: UUID
        slot_id: str
        hall_id: str
        hall_name: str
        hall_address: str
        day: str  # YYYY-MM-DD
        start: str  # ISO datetime with +08:00
        end: str
        service_code: str
        service_name: str
        department: str
        application_id: UUID | None

    class AppointmentCancelled(Aggregate.Event):
        actor: dict[str, Any]
        citizen_id: UUID
        hall_name: str
        start: str
        service_name: str
        application_id: UUID | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "cancelled"

    class AppointmentCheckedIn(Aggregate.Event):
        actor: dict[str, Any]
        queue_number: str
        application_id: UUID | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "checked_in"
            aggregate.queue_number = self.queue_number

    class AppointmentMissed(Aggregate.Event):
        """A no-show: not checked in by the end of the slot plus the grace period."""

        citizen_id: UUID
        day: str
        application_id: UUID | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "no_show"

    class AppointmentReminder(Aggregate.Event):
        """The day before: the citizen is reminded where and when to come (once)."""

        citizen_id: UUID
        hall_name: str
        hall_address: str
        start: str
        service_name: str

        def apply(self, aggregate: Any) -> None:
            aggregate.reminded = True

    def __init__(
        self,
        *,
        citizen_id: UUID,
        slot_id: str,
        hall_id: str,
        hall_name: str,
        hall_address: str,
        day: str,
        start: str,
        end: str,
        service_code: str,
        service_name: str,
        department: str,
        application_id: UUID | None,
    ) -> None:
        self.citizen_id = citizen_id
        self.slot_id = slot_id
        self.hall_id = hall_id
        self.hall_name = hall_name
        self.hall_address = hall_address
        self.day = day
        self.start = start
        self.end = end
        self.service_code = service_code
        self.service_name = service_name
        self.department = department
        self.application_id = application_id
        self.status: AppointmentStatus = "booked"
        self.queue_number: str | None = None
        self.reminded = False

    @classmethod
    def book(
        cls,
        *,
        id: UUID,
        citizen_id: UUID,
        hall: HallDefinition,
        slot: SlotTime,
        service: ServiceDefinition,
        application_id: UUID | None,
        at: datetime,
    ) -> Appointment:
        """A new booking (the slot's place and the citizen's day are taken by the caller)."""
        return cls._create(
            cls.AppointmentBooked,
            id=id,
            timestamp=at,
            citizen_id=citizen_id,
            slot_id=slot.id,
            hall_id=hall.id,
            hall_name=hall.name,
            hall_address=hall.address,
            day=slot.day.isoformat(),
            start=slot.start.isoformat(),
            end=slot.end.isoformat(),
            service_code=service.code,
            service_name=service.name,
            department=service.department,
            application_id=application_id,
        )

    @property
    def starts_at(self) -> datetime:
        return datetime.fromisoformat(self.start)

    @property
    def ends_at(self) -> datetime:
        return datetime.fromisoformat(self.end)

    def ensure_visible_to(self, actor: Actor) -> None:
        """A citizen sees only their own bookings: 404 for anyone else's."""
        if actor.role == "citizen" and actor.id != str(self.citizen_id):
            raise NotFound("预约不存在")

    def is_overdue(self, at: datetime, policy: BookingPolicy) -> bool:
        """Still booked after the end of the slot plus the grace period: a no-show."""
        return self.status == "booked" and at > self.ends_at + policy.no_show_grace

    def cancel(self, *, actor: Actor, at: datetime, policy: BookingPolicy) -> None:
        """The citizen cancels, up to ``policy.cancel_cutoff`` before the start."""
        self.ensure_visible_to(actor)
        if actor.role != "citizen":
            raise InvalidState("只有预约人本人可以取消预约", code="not_applicant")
        if self.status != "booked":
            if self.status == "cancelled":
                raise InvalidState("该预约已取消", code="already_cancelled")
            raise InvalidState(
                f"预约{APPOINTMENT_NAMES[self.status]}，不能取消", code="cannot_cancel_now"
            )
        if at > cancel_deadline(self.starts_at, policy.cancel_cutoff):
            hours = policy.cancel_cutoff / timedelta(hours=1)
            raise InvalidState(f"开始前{hours:g}小时内不能取消预约", code="cancel_too_late")
        self.trigger_event(
            self.AppointmentCancelled,
            timestamp=at,
            actor=actor.as_record(),
            citizen_id=self.citizen_id,
            hall_name=self.hall_name,
            start=self.start,
            service_name=self.service_name,
            application_id=self.application_id,
        )

    def ensure_can_check_in(self, *, at: datetime, policy: BookingPolicy) -> None:
        """Check-in happens at the hall on the day, until the slot's end plus the grace period."""
        if self.status != "booked":
            raise InvalidState(
                f"预约{APPOINTMENT_NAMES[self.status]}，不能签到", code="cannot_check_in"
            )
        if local_date(at).isoformat() != self.day:
            raise InvalidState(f"该预约的日期是{chinese_date(self.day)}", code="not_today")
        if self.is_overdue(at, policy):
            raise InvalidState("已过签到时间，该预约已爽约", code="missed")

    def check_in(
        self, *, actor: Actor, queue_number: str, at: datetime, policy: BookingPolicy
    ) -> None:
        """Staff check the citizen in and hand out the queue number."""
        self.ensure_can_check_in(at=at, policy=policy)
        self.trigger_event(
            self.AppointmentCheckedIn,
            timestamp=at,
            actor=actor.as_record(),
            queue_number=queue_number,
            application_id=self.application_id,
        )

    def remind(self, *, at: datetime) -> bool:
        """Remind the citizen on the day before the visit; once, and only for a live booking.
        Returns whether a reminder was recorded."""
        if self.reminded or self.status != "booked":
            return False
        if not at < self.starts_at <= at + timedelta(days=2):
            return False
        if self.starts_at.astimezone(CST).date() - at.astimezone(CST).date() != timedelta(days=1):
            return False
        self.trigger_event(
            self.AppointmentReminder,
            timestamp=at,
            citizen_id=self.citizen_id,
            hall_name=self.hall_name,
            hall_address=self.hall_address,
            start=self.start,
            service_name=self.service_name,
        )
        return True

    def mark_missed(self, *, at: datetime, policy: BookingPolicy) -> None:
        """Record the no-show of a booking that is overdue."""
        if not self.is_overdue(at, policy):
            raise InvalidState("该预约并未爽约", code="not_missed")
        self.trigger_event(
            self.AppointmentMissed,
            timestamp=at,
            citizen_id=self.citizen_id,
            day=self.day,
            application_id=self.application_id,
        )
