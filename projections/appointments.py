"""Appointment availability and bookings: halls, booked places per slot, every booking."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain.appointment import Appointment
from domain.halls import Hall
from domain.slot import Slot

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

__all__ = ["AppointmentsProjection"]


class AppointmentsProjection:
    """Keeps ``hall_view``, ``appointment_slot_view`` and ``appointment_view``."""

    name: str = "appointments"
    tables: tuple[str, ...] = ("hall_view", "appointment_slot_view", "appointment_view")

    async def process(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        position: int,
    ) -> None:
        if isinstance(event, Hall.Published | Hall.Revised):
            await self._hall(conn, event)
        elif isinstance(event, Slot.Opened):
            await conn.execute(
                "INSERT INTO appointment_slot_view (id, slot_id, hall_id, day, starts_at, capacity)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                event.originator_id,
                event.slot_id,
                event.hall_id,
                date.fromisoformat(event.day),
                datetime.fromisoformat(event.start),
                event.capacity,
            )
        elif isinstance(event, Slot.PlaceTaken | Slot.PlaceFreed):
            await conn.execute(
                "UPDATE appointment_slot_view SET booked = booked + $2 WHERE id = $1",
                event.originator_id,
                1 if isinstance(event, Slot.PlaceTaken) else -1,
            )
        elif isinstance(event, Appointment.AppointmentBooked):
            await self._booked(conn, event)
        elif isinstance(event, Appointment.AppointmentCancelled | Appointment.AppointmentMissed):
            cancelled = isinstance(event, Appointment.AppointmentCancelled)
            await conn.execute(
                "UPDATE appointment_view SET status = $2, updated_at = $3 WHERE id = $1",
                event.originator_id,
                "cancelled" if cancelled else "no_show",
                event.timestamp,
            )
        elif isinstance(event, Appointment.AppointmentReminder):
            await conn.execute(
                "UPDATE appointment_view SET reminded = true WHERE id = $1", event.originator_id
            )
        elif isinstance(event, Appointment.AppointmentCheckedIn):
            await conn.execute(
                "UPDATE appointment_view SET status = 'checked_in', queue_number = $2,"
                " updated_at = $3 WHERE id = $1",
                event.originator_id,
                event.queue_number,
                event.timestamp,
            )

    async def _hall(
        self, conn: asyncpg.Connection | PoolConnectionProxy, event: Hall.Published | Hall.Revised
    ) -> None:
        definition: dict[str, Any] = event.definition
        await conn.execute(
            "INSERT INTO hall_view (id, version, name, address, departments, definition,"
            " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET"
            " version = excluded.version, name = excluded.name, address = excluded.address,"
            " departments = excluded.departments, definition = excluded.definition,"
            " updated_at = excluded.updated_at",
            definition["id"],
            event.originator_version,
            definition["name"],
            definition["address"],
            list(definition["departments"]),
            definition,
            event.timestamp,
        )

    async def _booked(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Appointment.AppointmentBooked,
    ) -> None:
        await conn.execute(
            "INSERT INTO appointment_view (id, citizen_id, slot_id, hall_id, hall_name,"
            " hall_address, day, starts_at, ends_at, service_code, service_name, application_id,"
            " status, booked_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'booked', $13, $13)"
            " ON CONFLICT (id) DO NOTHING",
            event.originator_id,
            event.citizen_id,
            event.slot_id,
            event.hall_id,
            event.hall_name,
            event.hall_address,
            date.fromisoformat(event.day),
            datetime.fromisoformat(event.start),
            datetime.fromisoformat(event.end),
            event.service_code,
            event.service_name,
            event.application_id,
            event.timestamp,
        )
