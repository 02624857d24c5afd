"""Appointments on a real PostgreSQL through the command handlers: a slot is never overbooked
under concurrency, a citizen never gets two bookings on one day, cancelling frees the place,
check-in numbers are sequential and unique, and no-shows are recorded and block booking."""

from __future__ import annotations

import asyncio
import dataclasses
import time as timer
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from backend.appointments import commands as appointments
from backend.appointments.dto import BookAppointment, CheckedIn
from backend.appointments.halls import publish_halls
from backend.appointments.queries import slots
from backend.auth.tokens import Principal
from backend.bootstrap import bootstrap
from backend.catalog.commands import publish_catalog
from backend.db import connect_pool
from backend.demo_data import demo_catalog
from backend.eventstore import Repository
from backend.http.idempotency import IdempotencyKey, idempotent
from backend.services import Services
from backend.settings import Settings
from domain.appointment import AlreadyBookedThatDay, Appointment, BookingBlocked
from domain.calendar import CST
from domain.errors import InvalidState, NotFound, SlotFull
from domain.slot import Slot, slot_aggregate_id

ID_CARD = "GG-00201-000"  # 居民身份证换领, 市公安局
HALL = {
    "id": "test-hall",
    "name": "测试政务服务中心",
    "address": "测试路 1 号",
    "departments": ["市公安局"],
    "openingHours": "工作日 09:00-12:00",
    "periods": [{"start": "09:00", "end": "12:00", "capacity": 10}],
    "queuePrefix": "A",
}
# the last working day before National Day; 2026-10-08 is the first working day after it
TODAY = date(2026, 9, 30)
DAY = date(2026, 10, 8)
SLOT = "test-hall:2026-10-08:0900"


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), CST)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(local(TODAY, 10))


@pytest.fixture
async def services(db_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[Services]:
    settings = Settings(
        data_dir=tmp_path, database_url=db_url, secret_key="x" * 48, run_workers=False
    )
    async with bootstrap(settings, clock=clock) as wired:
        await publish_catalog(wired, [e for e in demo_catalog() if e["code"] == ID_CARD])
        await publish_halls(wired, [HALL])
        yield wired


def citizen() -> Principal:
    return Principal(id=str(uuid.uuid4()), role="citizen")


CLERK = Principal(id=str(uuid.uuid4()), role="clerk", department="市公安局", name="police-clerk")


async def book(services: Services, who: Principal, slot_id: str = SLOT) -> dict[str, Any]:
    answer = await appointments.book(services, who, BookAppointment(slot_id, ID_CARD))
    body: dict[str, Any] = msgspec.to_builtins(answer.body)
    return body


async def outcome(services: Services, who: Principal, slot_id: str = SLOT) -> str:
    """What the citizen would see: booked, or the error code."""
    try:
        await book(services, who, slot_id)
    except (SlotFull, InvalidState) as exc:
        return exc.code
    return "booked"


async def places(services: Services, slot_id: str = SLOT) -> list[str]:
    slot = await services.repository.get(Slot, slot_aggregate_id(slot_id))
    return slot.booked


async def remaining(services: Services, slot_id: str = SLOT) -> int:
    for projection in services.runner.projections:
        await services.runner.catch_up(projection)
    hall_id, day, _ = slot_id.split(":", 2)
    rows = await services.pool.fetch(
        "SELECT count(*) FROM appointment_view WHERE slot_id = $1 AND status = 'booked'", slot_id
    )
    listed = {s.slot_id: s for s in await slots(services, hall_id, date.fromisoformat(day))}
    assert listed[slot_id].capacity - listed[slot_id].remaining == rows[0][0]
    result: int = listed[slot_id].remaining
    return result


async def test_200_concurrent_bookings_of_a_slot_of_10_give_exactly_10_and_cancelling_frees_one(
    services: Services,
) -> None:
    citizens = [citizen() for _ in range(200)]
    started = timer.perf_counter()
    outcomes = await asyncio.gather(*(outcome(services, c) for c in citizens))
    elapsed = timer.perf_counter() - started
    print(f"\n200 concurrent booking attempts on one slot: {elapsed:.2f}s, {200 / elapsed:.0f}/s")
    assert outcomes.count("booked") == 10
    assert outcomes.count("slot_full") == 190
    assert len(await places(services)) == 10
    assert await remaining(services) == 0

    booked = await services.pool.fetch(
        "SELECT id, citizen_id FROM appointment_view WHERE slot_id = $1", SLOT
    )
    assert len(booked) == 10
    first = booked[0]
    owner = Principal(id=str(first["citizen_id"]), role="citizen")
    await appointments.cancel(services, owner, uuid.UUID(str(first["id"])))
    assert await remaining(services) == 1

    # the freed place goes to exactly one of the citizens who were turned away
    late = [c for c, o in zip(citizens, outcomes, strict=True) if o == "slot_full"][:20]
    retried = await asyncio.gather(*(outcome(services, c) for c in late))
    assert retried.count("booked") == 1
    assert len(await places(services)) == 10
    assert await remaining(services) == 0


async def test_lock_waiters_never_starve_a_small_pool(services: Services, db_url: str) -> None:
    """Two connections, 60 bookings of one slot: whoever holds the slot lock also holds a
    connection, and no transaction asks for a second one, so the queue always drains."""
    small = await connect_pool(db_url, min_size=1, max_size=2)
    try:
        tight = dataclasses.replace(
            services, pool=small, repository=Repository(small, services.recorder, services.mapper)
        )
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(outcome(tight, citizen()) for _ in range(60))), timeout=30
        )
    finally:
        await small.close()
    assert outcomes.count("booked") == 10
    assert outcomes.count("slot_full") == 50


async def test_many_citizens_booking_many_slots_at_once_all_get_a_place(
    services: Services, clock: Clock
) -> None:
    """Throughput when bookings succeed: 150 citizens over 15 slots of 10 places."""
    days = [DAY, date(2026, 10, 9), date(2026, 10, 10), date(2026, 10, 12), date(2026, 10, 13)]
    slot_ids = [f"test-hall:{d.isoformat()}:{h:02d}00" for d in days for h in (9, 10, 11)]
    jobs = [(citizen(), slot_ids[i % 15]) for i in range(150)]
    started = timer.perf_counter()
    outcomes = await asyncio.gather(*(outcome(services, who, slot) for who, slot in jobs))
    elapsed = timer.perf_counter() - started
    print(
        f"\n150 concurrent successful bookings over 15 slots: {elapsed:.2f}s, {150 / elapsed:.0f}/s"
    )
    assert outcomes == ["booked"] * 150
    for slot_id in slot_ids:
        assert len(await places(services, slot_id)) == 10


async def test_one_citizen_booking_every_slot_of_a_day_at_once_gets_exactly_one(
    services: Services,
) -> None:
    who = citizen()
    slot_ids = [SLOT, "test-hall:2026-10-08:1000", "test-hall:2026-10-08:1100"]
    outcomes = await asyncio.gather(*(outcome(services, who, s) for s in slot_ids * 3))
    assert outcomes.count("booked") == 1
    assert outcomes.count(AlreadyBookedThatDay.code) == 8
    mine = await services.pool.fetchval(
        "SELECT count(*) FROM onewindow_events WHERE topic LIKE '%AppointmentBooked'"
    )
    assert mine == 1
    # another day is still fine
    assert await outcome(services, who, "test-hall:2026-10-09:0900") == "booked"


async def test_one_idempotency_key_sent_twice_at_once_books_once_with_one_answer(
    services: Services,
) -> None:
    who = citizen()
    command = BookAppointment(SLOT, ID_CARD)
    key = IdempotencyKey.of(uuid.UUID(who.id), "k-1", b'{"slotId": "same"}')

    async def send() -> Any:
        return await idempotent(
            services.pool, key, lambda remember: appointments.book(services, who, command, remember)
        )

    first, second = await asyncio.gather(send(), send())
    assert first.status_code == second.status_code == 201
    assert msgspec.to_builtins(first.body) == msgspec.to_builtins(second.body)
    assert len(await places(services)) == 1


async def test_check_in_numbers_are_sequential_and_unique_under_concurrency(
    services: Services, clock: Clock
) -> None:
    slot_ids = [SLOT, "test-hall:2026-10-08:1000", "test-hall:2026-10-08:1100"]
    citizens = [citizen() for _ in range(30)]
    booked = await asyncio.gather(
        *(book(services, c, slot_ids[i % 3]) for i, c in enumerate(citizens))
    )
    clock.now = local(DAY, 8, 50)
    ids = [uuid.UUID(b["id"]) for b in booked]
    checked = await asyncio.gather(*(appointments.check_in(services, CLERK, i) for i in ids))
    numbers = sorted(c.queue_number for c in checked)
    assert numbers == [f"A{n:03d}" for n in range(1, 31)]

    # the same booking checked in twice at once: one number, one refusal
    extra = citizen()
    clock.now = local(TODAY, 10)
    appointment_id = uuid.UUID((await book(services, extra, "test-hall:2026-10-09:0900"))["id"])
    clock.now = local(date(2026, 10, 9), 9)
    results = await asyncio.gather(
        appointments.check_in(services, CLERK, appointment_id),
        appointments.check_in(services, CLERK, appointment_id),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["CheckedIn", "InvalidState"]
    assert next(r for r in results if isinstance(r, CheckedIn)).queue_number == "A001"  # new day


async def test_staff_of_a_department_not_in_the_hall_cannot_check_in(services: Services) -> None:
    booked = await book(services, citizen())
    outsider = Principal(id=str(uuid.uuid4()), role="clerk", department="市生态环境局")
    with pytest.raises(NotFound):
        await appointments.check_in(services, outsider, uuid.UUID(booked["id"]))


async def test_missed_appointments_are_recorded_and_three_block_booking(
    services: Services, clock: Clock
) -> None:
    who = citizen()
    days = [DAY, date(2026, 10, 9), date(2026, 10, 12)]
    missed = [await book(services, who, f"test-hall:{d.isoformat()}:0900") for d in days]
    other = citizen()
    forgot = await book(services, other, "test-hall:2026-10-12:1000")

    clock.now = local(date(2026, 10, 12), 11, 20)  # after 10:00 + 15 min on the third day
    with pytest.raises(BookingBlocked, match="2027年1月10日前不能预约"):
        await book(services, who, "test-hall:2026-10-14:0900")
    # the no-shows were recorded although the booking was refused
    for booked in missed:
        appointment = await services.repository.get(Appointment, uuid.UUID(booked["id"]))
        assert appointment.status == "no_show"

    # the periodic sweep (it reads the read model) records the others'
    for projection in services.runner.projections:
        await services.runner.catch_up(projection)
    assert await appointments.record_no_shows(services) == 1
    assert await appointments.record_no_shows(services) == 0
    appointment = await services.repository.get(Appointment, uuid.UUID(forgot["id"]))
    assert appointment.status == "no_show"
    # one no-show does not block
    assert await outcome(services, other, "test-hall:2026-10-14:0900") == "booked"

    clock.now = local(date(2027, 1, 10), 9)
    assert await outcome(services, who, "test-hall:2027-01-11:0900") == "booked"


async def test_a_cancellation_after_the_cut_off_is_refused_and_keeps_the_place(
    services: Services, clock: Clock
) -> None:
    who = citizen()
    booked = await book(services, who)
    clock.now = local(DAY, 7, 1)
    with pytest.raises(InvalidState):
        await appointments.cancel(services, who, uuid.UUID(booked["id"]))
    assert len(await places(services)) == 1
    assert datetime.fromisoformat(booked["start"]) - clock.now < timedelta(hours=2)
