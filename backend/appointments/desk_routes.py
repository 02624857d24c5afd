"""Staff at a hall: the day's appointments and check-in with a queue number."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter

from backend.appointments import commands as appointments
from backend.appointments import queries
from backend.appointments.dto import CheckedIn, HallAppointment
from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires
from backend.http.read_source import After

__all__ = ["AppointmentsAdminController"]


class AppointmentsAdminController(Controller):
    path = "/api/v1/admin"
    tags = ["appointments"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @get("/halls/{hall_id:str}/appointments", operation_id="hallAppointments")
    async def hall_day(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        hall_id: FromPath[str],
        day: Annotated[date, QueryParameter(name="date")],
        after: After = None,
    ) -> list[HallAppointment]:
        """The day's bookings in start order (staff of a department served here, supervisors)."""
        return await queries.hall_day(services, principal, hall_id, day, after)

    @post(
        "/appointments/{appointment_id:uuid}/check-in",
        operation_id="checkInAppointment",
        status_code=200,
    )
    async def check_in(
        self, services: ServicesDep, principal: PrincipalDep, appointment_id: FromPath[UUID]
    ) -> CheckedIn:
        """The citizen is here: the next queue number of the hall for the day (e.g. A017)."""
        return await appointments.check_in(services, principal, appointment_id)
