"""Halls, slot availability, my appointments and a hall's day list, from the read model."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from backend.appointments.commands import booking_policy
from backend.appointments.dto import (
    AppointmentView,
    HallAppointment,
    HallView,
    OpenDate,
    SlotView,
)
from backend.http import pages
from backend.http.pages import Page
from backend.read_side import APPOINTMENTS, read_model
from domain.appointment import window_days, window_refusal
from domain.attendance import CitizenBookings, citizen_bookings_id
from domain.errors import NotFound
from domain.halls import HallDefinition, open_slots

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["MineFilter", "hall_day", "list_halls", "list_mine", "open_dates", "slots"]

_APPOINTMENT_COLUMNS = (
    "id, slot_id, hall_id, hall_name, hall_address, starts_at, ends_at, service_code,"
    " service_name, application_id, status, queue_number"
)


async def list_halls(
    services: Services, service_code: str | None = None, after: int | None = None
) -> list[HallView]:
    """Every hall, or the halls whose departments handle ``service_code``."""
    db = await read_model(services, APPOINTMENTS, after)
    rows = await db.fetch(
        "SELECT h.definition FROM hall_view h WHERE $1::text IS NULL OR EXISTS ("
        " SELECT 1 FROM catalog_view c WHERE c.code = $1 AND c.department = ANY(h.departments))"
        " ORDER BY h.id",
        service_code,
    )
    return [msgspec.convert(r[0], HallView) for r in rows]


async def slots(
    services: Services,
    hall_id: str,
    day: date,
    after: int | None = None,
    citizen: Principal | None = None,
) -> list[SlotView]:
    """The day's slots from the template, with places left (one indexed query), each saying
    whether the caller may book it now and, if not, why (the rules of the booking itself)."""
    db = await read_model(services, APPOINTMENTS, after)
    row = await db.fetchrow(
        "SELECT h.definition, (SELECT coalesce(jsonb_object_agg(s.slot_id,"
        " jsonb_build_array(s.capacity, s.booked)), '{}'::jsonb) FROM appointment_slot_view s"
        " WHERE s.hall_id = h.id AND s.day = $2) AS taken FROM hall_view h WHERE h.id = $1",
        hall_id,
        day,
    )
    if row is None:
        raise NotFound(f"大厅{hall_id}不存在")
    hall = msgspec.convert(row["definition"], HallDefinition)
    taken: dict[str, list[int]] = row["taken"]
    now = services.clock()
    policy = booking_policy(services.settings)
    refusal = window_refusal(policy=policy, calendar=services.calendar, day=day, at=now)
    if refusal is None and citizen is not None and citizen.role == "citizen":
        record = await _bookings_of(services, UUID(citizen.id))
        if record is not None:
            refusal = record.booking_refusal(day, at=now, policy=policy)
    result = []
    for slot in open_slots(hall, day, services.calendar):
        # a slot keeps the capacity it was opened with; untouched slots follow the template
        capacity, booked = taken.get(slot.id, (slot.capacity, 0))
        remaining = max(capacity - booked, 0)
        why = refusal or (None if remaining else ("slot_full", "该时段已约满"))
        result.append(
            SlotView(
                slot_id=slot.id,
                id=slot.id,
                start=slot.start,
                end=slot.end,
                capacity=capacity,
                remaining=remaining,
                bookable=why is None,
                reason=why[0] if why else None,
                reason_text=why[1] if why else None,
            )
        )
    return result


async def open_dates(services: Services, hall_id: str, after: int | None = None) -> list[OpenDate]:
    """Every day of the booking window with the hall's slots and places left on it (one
    query for the whole window); a day without places says so rather than being left out."""
    days = window_days(
        policy=booking_policy(services.settings), calendar=services.calendar, at=services.clock()
    )
    db = await read_model(services, APPOINTMENTS, after)
    hall_row = await db.fetchrow("SELECT definition FROM hall_view WHERE id = $1", hall_id)
    if hall_row is None:
        raise NotFound(f"大厅{hall_id}不存在")
    hall = msgspec.convert(hall_row["definition"], HallDefinition)
    taken: dict[tuple[date, str], tuple[int, int]] = {}
    if days:
        rows = await db.fetch(
            "SELECT day, slot_id, capacity, booked FROM appointment_slot_view"
            " WHERE hall_id = $1 AND day BETWEEN $2 AND $3",
            hall_id,
            days[0],
            days[-1],
        )
        taken = {(r["day"], r["slot_id"]): (r["capacity"], r["booked"]) for r in rows}
    result = []
    for day in days:
        left = [
            max(capacity - booked, 0)
            for slot in open_slots(hall, day, services.calendar)
            for capacity, booked in [taken.get((day, slot.id), (slot.capacity, 0))]
        ]
        free = sum(1 for n in left if n)
        result.append(
            OpenDate(
                date=day,
                slots=len(left),
                open_slots=free,
                remaining=sum(left),
                bookable=free > 0,
            )
        )
    return result


async def _bookings_of(services: Services, citizen_id: UUID) -> CitizenBookings | None:
    try:
        return await services.repository.get(CitizenBookings, citizen_bookings_id(citizen_id))
    except NotFound:
        return None


def _appointment(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "slot_id": row["slot_id"],
        "hall_id": row["hall_id"],
        "hall_name": row["hall_name"],
        "hall_address": row["hall_address"],
        "start": row["starts_at"],
        "end": row["ends_at"],
        "service_code": row["service_code"],
        "service_name": row["service_name"],
        "application_id": str(row["application_id"]) if row["application_id"] else None,
        "status": row["status"],
        "queue_number": row["queue_number"],
    }


class MineFilter(msgspec.Struct, frozen=True):
    """Which of my appointments, and which page of them (latest start first)."""

    application_id: UUID | None = None
    status: str | None = None
    limit: int = pages.DEFAULT_LIMIT
    cursor: str | None = None


async def list_mine(
    services: Services,
    citizen: Principal,
    which: MineFilter | None = None,
    after: int | None = None,
) -> Page[AppointmentView]:
    """My appointments, latest start first; only those of one application, or in one status,
    if given; keyset pages on (starts_at, id)."""
    which = which or MineFilter()
    start = pages.decode(which.cursor, tuple[datetime, UUID])
    db = await read_model(services, APPOINTMENTS, after)
    rows = await db.fetch(
        f"SELECT {_APPOINTMENT_COLUMNS} FROM appointment_view"  # noqa: S608
        " WHERE citizen_id = $1 AND ($2::uuid IS NULL OR application_id = $2)"
        " AND ($3::text IS NULL OR status = $3)"
        " AND ($4::timestamptz IS NULL OR (starts_at, id) < ($4, $5::uuid))"
        " ORDER BY starts_at DESC, id DESC LIMIT $6",
        UUID(citizen.id),
        which.application_id,
        which.status,
        *(start or (None, None)),
        which.limit + 1,
    )
    shown, next_key = pages.page_of(rows, which.limit, lambda r: (r["starts_at"], r["id"]))
    return Page([AppointmentView(**_appointment(r)) for r in shown], next_key)


async def hall_day(
    services: Services, staff: Principal, hall_id: str, day: date, after: int | None = None
) -> list[HallAppointment]:
    """The day's bookings of a hall in start order, for its staff (404 for anyone else)."""
    db = await read_model(services, APPOINTMENTS, after)
    definition = await db.fetchval("SELECT definition FROM hall_view WHERE id = $1", hall_id)
    if definition is None or not msgspec.convert(definition, HallDefinition).admits(staff.actor()):
        raise NotFound(f"大厅{hall_id}不存在")
    rows = await db.fetch(
        f"SELECT {_APPOINTMENT_COLUMNS}, citizen_id FROM appointment_view"  # noqa: S608
        " WHERE hall_id = $1 AND day = $2 ORDER BY starts_at, booked_at",
        hall_id,
        day,
    )
    return [HallAppointment(**_appointment(r), citizen_id=str(r["citizen_id"])) for r in rows]
