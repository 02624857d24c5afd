"""Appointment rules (预约取号), without a database: slots from a hall's template, the booking
window in working days across National Day, capacity, the cancellation cut-off, check-in and
queue numbers, no-shows and the booking block."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from importlib.resources import files
from typing import Any

import pytest

from domain.actors import Actor
from domain.appointment import (
    AlreadyBookedThatDay,
    Appointment,
    BookingBlocked,
    BookingPolicy,
    check_bookable,
    queue_number,
    window_days,
    window_refusal,
)
from domain.attendance import CitizenBookings, blocked_until
from domain.calendar import CST, WorkingCalendar
from domain.catalog import ServiceDefinition, parse_definition
from domain.errors import InvalidState, NotFound, SlotFull, ValidationFailed
from domain.halls import HallDefinition, open_slots, parse_hall, parse_slot_id
from domain.slot import Slot

# 2026: Mid-Autumn 09-25..27, National Day 10-01..07, make-up workday Saturday 10-10
CALENDAR = WorkingCalendar(
    holidays=[date(2026, 9, 25) + timedelta(days=d) for d in range(3)]
    + [date(2026, 10, 1) + timedelta(days=d) for d in range(7)],
    workdays=[date(2026, 9, 20), date(2026, 10, 10)],
)
POLICY = BookingPolicy()
POLICE = "市公安局"
CITIZEN_ID = uuid.UUID("3f9b1c2e-0000-4000-8000-000000000001")
CITIZEN = Actor(id=str(CITIZEN_ID), role="citizen")
OTHER = Actor(id=str(uuid.uuid4()), role="citizen")
CLERK = Actor(id="c-1", role="clerk", department=POLICE)

HALL: HallDefinition = parse_hall(
    {
        "id": "city-center",
        "name": "市政务服务中心",
        "address": "人民大道 200 号",
        "departments": [POLICE, "市民政局"],
        "openingHours": "工作日 09:00-12:00，13:30-17:00",
        "periods": [
            {"start": "09:00", "end": "12:00", "capacity": 2},
            {"start": "13:30", "end": "17:00", "capacity": 2},
        ],
    }
)


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), CST)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, ServiceDefinition]:
    raw: dict[str, Any] = json.loads(
        (files("backend") / "demo" / "catalog.json").read_text(encoding="utf-8")
    )
    return {entry["code"]: parse_definition(entry) for entry in raw["services"]}


@pytest.fixture
def id_card(catalogue: dict[str, ServiceDefinition]) -> ServiceDefinition:
    return catalogue["GG-00201-000"]  # 居民身份证换领, 市公安局


def book(
    service: ServiceDefinition, day: date, start: time = time(9), at: datetime | None = None
) -> Appointment:
    slot = HALL.slot(day, start)
    assert slot is not None
    return Appointment.book(
        id=uuid.uuid4(),
        citizen_id=CITIZEN_ID,
        hall=HALL,
        slot=slot,
        service=service,
        application_id=None,
        at=at or local(day - timedelta(days=3), 10),
    )


# --- halls and slots ---------------------------------------------------------------------------


def test_a_working_day_has_the_template_slots_and_the_last_one_ends_with_its_period() -> None:
    slots = open_slots(HALL, date(2026, 9, 29), CALENDAR)
    assert [(s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in slots] == [
        ("09:00", "10:00"),
        ("10:00", "11:00"),
        ("11:00", "12:00"),
        ("13:30", "14:30"),
        ("14:30", "15:30"),
        ("15:30", "16:30"),
        ("16:30", "17:00"),
    ]
    assert slots[0].id == "city-center:2026-09-29:0900"
    assert slots[0].start.utcoffset() == timedelta(hours=8)
    assert parse_slot_id(slots[3].id) == ("city-center", date(2026, 9, 29), time(13, 30))


def test_halls_are_closed_on_national_day_and_weekends_but_open_on_a_make_up_workday() -> None:
    assert open_slots(HALL, date(2026, 10, 1), CALENDAR) == ()
    assert open_slots(HALL, date(2026, 10, 5), CALENDAR) == ()  # a Monday inside the holiday
    assert open_slots(HALL, date(2026, 10, 11), CALENDAR) == ()  # Sunday
    assert len(open_slots(HALL, date(2026, 10, 10), CALENDAR)) == 7  # Saturday, 调休上班


@pytest.mark.parametrize("value", ["city-center:2026-09-29", "city-center:2026-13-01:0900", "x"])
def test_a_malformed_slot_id_is_a_validation_error(value: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_slot_id(value)


def test_a_hall_with_overlapping_periods_is_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_hall(
            {
                "id": "bad-hall",
                "name": "x",
                "address": "x",
                "departments": [POLICE],
                "openingHours": "",
                "periods": [
                    {"start": "09:00", "end": "12:00", "capacity": 2},
                    {"start": "11:00", "end": "13:00", "capacity": 2},
                ],
            }
        )
    assert "periods[1]" in info.value.errors


# --- booking window ----------------------------------------------------------------------------


def test_booking_counts_1_to_5_working_days_ahead_skipping_national_day(
    id_card: ServiceDefinition,
) -> None:
    now = local(date(2026, 9, 30), 10)  # the last working day before the holiday

    def refusal(day: date) -> str | None:
        slot = HALL.slot(day, time(9))
        assert slot is not None
        try:
            check_bookable(
                policy=POLICY, calendar=CALENDAR, hall=HALL, slot=slot, service=id_card, at=now
            )
        except ValidationFailed as exc:
            return exc.code
        return None

    assert refusal(date(2026, 9, 30)) == "outside_booking_window"  # today
    # 10-08 is the 1st working day ahead, 10-10 (make-up Saturday) the 3rd, 10-13 the 5th
    assert [refusal(date(2026, 10, d)) for d in (8, 9, 10, 12, 13)] == [None] * 5
    assert refusal(date(2026, 10, 14)) == "outside_booking_window"  # 6th
    assert refusal(date(2026, 10, 2)) == "hall_closed_that_day"  # a holiday
    assert refusal(date(2026, 9, 29)) == "outside_booking_window"  # the past


def test_today_is_the_date_in_china_not_in_utc(id_card: ServiceDefinition) -> None:
    slot = HALL.slot(date(2026, 9, 30), time(9))
    assert slot is not None
    # 17:00 UTC on 09-29 is already 01:00 on 09-30 in China: the slot is today, not tomorrow
    with pytest.raises(ValidationFailed):
        check_bookable(
            policy=POLICY,
            calendar=CALENDAR,
            hall=HALL,
            slot=slot,
            service=id_card,
            at=datetime(2026, 9, 29, 17, tzinfo=UTC),
        )


def test_the_window_is_configurable(id_card: ServiceDefinition) -> None:
    slot = HALL.slot(date(2026, 10, 14), time(9))
    assert slot is not None
    check_bookable(
        policy=BookingPolicy(max_days_ahead=6),
        calendar=CALENDAR,
        hall=HALL,
        slot=slot,
        service=id_card,
        at=local(date(2026, 9, 30), 10),
    )


def test_a_service_whose_department_is_not_in_the_hall_cannot_be_booked_there(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    slot = HALL.slot(date(2026, 10, 8), time(9))
    assert slot is not None
    with pytest.raises(ValidationFailed) as info:
        check_bookable(
            policy=POLICY,
            calendar=CALENDAR,
            hall=HALL,
            slot=slot,
            service=catalogue["XK-00101-000"],  # 食品经营许可: 市场监管, not in this hall
            at=local(date(2026, 9, 30), 10),
        )
    assert set(info.value.errors) == {"serviceCode"}
    assert info.value.code == "service_not_at_hall"


# --- capacity ----------------------------------------------------------------------------------


def test_a_slot_takes_no_more_than_its_capacity_and_a_freed_place_can_be_taken_again() -> None:
    slot_time = HALL.slot(date(2026, 10, 8), time(9))
    assert slot_time is not None
    at = local(date(2026, 9, 30), 10)
    slot = Slot.open(slot_time, at=at)
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    slot.take(first, at=at)
    slot.take(second, at=at)
    with pytest.raises(SlotFull):
        slot.take(third, at=at)
    slot.free(first, at=at)
    slot.take(third, at=at)
    assert slot.remaining == 0
    # the state is rebuilt from the events alone
    replayed: Any = None
    for event in slot.collect_events():
        replayed = event.mutate(replayed)
    assert replayed.booked == [str(second), str(third)]


# --- one booking per day -----------------------------------------------------------------------


def test_a_citizen_has_one_active_booking_per_day_and_cancelling_frees_the_day(
    id_card: ServiceDefinition,
) -> None:
    now = local(date(2026, 9, 30), 10)
    record = CitizenBookings.start(CITIZEN_ID, at=now)
    morning = book(id_card, date(2026, 10, 8), at=now)
    record.add(morning, at=now)
    with pytest.raises(AlreadyBookedThatDay):
        record.ensure_can_book(date(2026, 10, 8), at=now, policy=POLICY)
    record.ensure_can_book(date(2026, 10, 9), at=now, policy=POLICY)
    record.close(morning.id, "cancelled", at=now)
    record.ensure_can_book(date(2026, 10, 8), at=now, policy=POLICY)


# --- cancellation ------------------------------------------------------------------------------


def test_cancelling_is_allowed_up_to_2_hours_before_the_start(id_card: ServiceDefinition) -> None:
    day = date(2026, 10, 8)
    on_time = book(id_card, day)
    on_time.cancel(actor=CITIZEN, at=local(day, 7), policy=POLICY)
    assert on_time.status == "cancelled"
    events = on_time.collect_events()
    assert [type(e).__name__ for e in events] == ["AppointmentBooked", "AppointmentCancelled"]

    too_late = book(id_card, day)
    with pytest.raises(InvalidState, match="开始前2小时内不能取消") as late:
        too_late.cancel(actor=CITIZEN, at=local(day, 7, 0, 1), policy=POLICY)
    assert late.value.code == "cancel_too_late"
    assert too_late.status == "booked"


def test_only_the_citizen_who_booked_can_cancel_and_only_once(id_card: ServiceDefinition) -> None:
    appointment = book(id_card, date(2026, 10, 8))
    at = local(date(2026, 10, 6), 10)
    with pytest.raises(NotFound):
        appointment.cancel(actor=OTHER, at=at, policy=POLICY)
    appointment.cancel(actor=CITIZEN, at=at, policy=POLICY)
    with pytest.raises(InvalidState) as twice:
        appointment.cancel(actor=CITIZEN, at=at, policy=POLICY)
    assert (twice.value.code, twice.value.detail) == ("already_cancelled", "该预约已取消")


# --- check-in, queue numbers, no-shows ---------------------------------------------------------


def test_queue_numbers_are_the_hall_letter_and_three_digits() -> None:
    assert queue_number("A", 1) == "A001"
    assert queue_number("A", 17) == "A017"
    assert queue_number("B", 1000) == "B1000"
    with pytest.raises(ValueError, match="starts at 1"):
        queue_number("A", 0)


def test_check_in_is_on_the_day_until_the_end_of_the_slot_plus_15_minutes(
    id_card: ServiceDefinition,
) -> None:
    day = date(2026, 10, 8)  # slot 09:00-10:00
    early = book(id_card, day)
    with pytest.raises(InvalidState, match="2026年10月8日"):
        early.ensure_can_check_in(at=local(date(2026, 10, 7), 9), policy=POLICY)
    early.check_in(actor=CLERK, queue_number="A001", at=local(day, 8, 40), policy=POLICY)
    assert (early.status, early.queue_number) == ("checked_in", "A001")

    late = book(id_card, day)
    late.check_in(actor=CLERK, queue_number="A002", at=local(day, 10, 15), policy=POLICY)

    missed = book(id_card, day)
    assert not missed.is_overdue(local(day, 10, 15), POLICY)
    assert missed.is_overdue(local(day, 10, 15, 1), POLICY)
    with pytest.raises(InvalidState, match="已爽约"):
        missed.ensure_can_check_in(at=local(day, 10, 15, 1), policy=POLICY)
    missed.mark_missed(at=local(day, 10, 15, 1), policy=POLICY)
    assert missed.status == "no_show"


def test_three_no_shows_within_90_days_block_booking_for_90_days() -> None:
    d = date(2026, 1, 5)
    within = [d, d + timedelta(days=30), d + timedelta(days=89)]
    assert blocked_until(within, limit=3, window_days=90, block_days=90) == d + timedelta(
        days=89 + 90
    )
    spread = [d, d + timedelta(days=45), d + timedelta(days=90)]  # 91 days first to last
    assert blocked_until(spread, limit=3, window_days=90, block_days=90) is None
    assert blocked_until(within[:2], limit=3, window_days=90, block_days=90) is None


def test_a_citizen_with_three_no_shows_may_not_book_until_the_block_ends(
    id_card: ServiceDefinition,
) -> None:
    days = [date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 12)]
    record = CitizenBookings.start(CITIZEN_ID, at=local(date(2026, 9, 30), 10))
    appointments = [book(id_card, day) for day in days]
    for appointment in appointments:
        record.add(appointment, at=local(date(2026, 9, 30), 10))
    after = local(date(2026, 10, 12), 11)
    # overdue bookings count before they are recorded, so a lazy record cannot be dodged
    with pytest.raises(BookingBlocked, match="2027年1月10日前不能预约"):
        record.ensure_can_book(date(2026, 10, 14), at=after, policy=POLICY)
    assert record.overdue(after, POLICY) == [a.id for a in appointments]
    for appointment in appointments:
        appointment.mark_missed(at=after, policy=POLICY)
        record.record_no_show(appointment, at=after)
    assert record.overdue(after, POLICY) == []
    assert record.blocked_until(local(date(2027, 1, 9), 23, 59), POLICY) == date(2027, 1, 10)
    record.ensure_can_book(date(2027, 1, 12), at=local(date(2027, 1, 10), 0), policy=POLICY)


def test_a_checked_in_booking_is_never_a_no_show(id_card: ServiceDefinition) -> None:
    day = date(2026, 10, 8)
    record = CitizenBookings.start(CITIZEN_ID, at=local(date(2026, 9, 30), 10))
    appointment = book(id_card, day)
    record.add(appointment, at=local(date(2026, 9, 30), 10))
    appointment.check_in(actor=CLERK, queue_number="A001", at=local(day, 9), policy=POLICY)
    record.close(appointment.id, "checked_in", at=local(day, 9))
    later = local(date(2026, 12, 1), 9)
    assert record.overdue(later, POLICY) == []
    assert not appointment.is_overdue(later, POLICY)


def test_booked_and_cancelled_events_carry_what_notifications_need(
    id_card: ServiceDefinition,
) -> None:
    appointment = book(id_card, date(2026, 10, 8), time(14, 30))
    appointment.cancel(actor=CITIZEN, at=local(date(2026, 10, 6), 10), policy=POLICY)
    booked, cancelled = appointment.collect_events()
    for event in (booked, cancelled):
        data = vars(event)
        assert data["citizen_id"] == CITIZEN_ID
        assert data["hall_name"] == "市政务服务中心"
        assert data["service_name"] == "居民身份证换领"
        assert datetime.fromisoformat(data["start"]) == local(date(2026, 10, 8), 14, 30)


def test_a_reminder_goes_out_once_on_the_day_before_and_never_for_a_cancelled_booking(
    id_card: ServiceDefinition,
) -> None:
    day = date(2026, 10, 8)
    appointment = book(id_card, day)
    assert not appointment.remind(at=local(day - timedelta(days=2), 18))  # too early
    assert appointment.remind(at=local(day - timedelta(days=1), 18))
    assert not appointment.remind(at=local(day - timedelta(days=1), 19))  # only once
    reminders = [
        e for e in appointment.collect_events() if type(e).__name__ == "AppointmentReminder"
    ]
    assert len(reminders) == 1
    assert reminders[0].hall_name == appointment.hall_name

    cancelled = book(id_card, day)
    cancelled.cancel(actor=CITIZEN, at=local(day - timedelta(days=2), 9), policy=POLICY)
    assert not cancelled.remind(at=local(day - timedelta(days=1), 18))


def test_the_booking_window_skips_national_day_and_counts_the_make_up_saturday() -> None:
    """The open dates are the days ``window_refusal`` admits: 1 to 5 working days ahead, so
    from 30 September the holiday week is skipped and Saturday 10 October is in."""
    at = datetime(2026, 9, 30, 10, 0, tzinfo=CST)
    days = window_days(policy=POLICY, calendar=CALENDAR, at=at)
    assert days == [date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10),
                    date(2026, 10, 12), date(2026, 10, 13)]  # fmt: skip
    last = date(2026, 10, 14)
    every = [date(2026, 9, 30) + timedelta(days=n) for n in range((last - date(2026, 9, 30)).days)]
    admitted = [
        d for d in every if window_refusal(policy=POLICY, calendar=CALENDAR, day=d, at=at) is None
    ]
    assert days == admitted
