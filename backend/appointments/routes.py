"""Halls and slots (public) and citizens' appointments: book, list, cancel."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Dependency, FromPath, HeaderParameter, JSONBody, QueryParameter

from backend.appointments import commands as appointments
from backend.appointments import queries
from backend.appointments.dto import (
    AppointmentView,
    BookAppointment,
    BookedAppointment,
    HallView,
    OpenDate,
    SlotView,
)
from backend.auth.tokens import Principal
from backend.http.guards import PrincipalDep, ServicesDep, caller_if_any, requires
from backend.http.idempotency import idempotent_post
from backend.http.pages import DEFAULT_LIMIT, NEXT_HEADERS, Cursor, Limit, paged
from backend.http.rate_limit import rate_limit
from backend.http.read_source import After
from domain.appointment import AppointmentStatus

__all__ = ["AppointmentsController", "HallsController"]


class HallsController(Controller):
    path = "/api/v1/halls"
    tags = ["appointments"]  # noqa: RUF012

    @get("/", operation_id="listHalls")
    async def list_halls(
        self,
        services: ServicesDep,
        service_code: Annotated[str | None, QueryParameter(name="serviceCode")] = None,
        after: After = None,
    ) -> list[HallView]:
        """Service halls; with ``serviceCode`` only those whose departments handle it."""
        return await queries.list_halls(services, service_code, after)

    @get("/{hall_id:str}/open-dates", operation_id="listOpenDates")
    async def open_dates(
        self, services: ServicesDep, hall_id: FromPath[str], after: After = None
    ) -> list[OpenDate]:
        """The days a booking may fall on now (the booking window, working days only), each
        with its slots and places left: a date picker's data in one request."""
        return await queries.open_dates(services, hall_id, after)

    @get(
        "/{hall_id:str}/slots",
        operation_id="listSlots",
        dependencies={"caller": Provide(caller_if_any)},
    )
    async def slots(
        self,
        services: ServicesDep,
        hall_id: FromPath[str],
        day: Annotated[date, QueryParameter(name="date")],
        caller: Annotated[Principal | None, Dependency(skip_validation=True)],
        after: After = None,
    ) -> list[SlotView]:
        """The day's slots with places left; none on weekends and public holidays. Each says
        whether it is ``bookable`` now, and if not the ``reason`` (a code of the booking's
        refusal); with a citizen's bearer token also their one-a-day rule and no-show block."""
        return await queries.slots(services, hall_id, day, after, caller)


class AppointmentsController(Controller):
    path = "/api/v1/appointments"
    tags = ["appointments"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post("/", operation_id="bookAppointment", status_code=201, guards=[rate_limit("create")])
    async def book(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        principal: PrincipalDep,
        data: JSONBody[BookAppointment],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
    ) -> Response[BookedAppointment]:
        """Book a place; 409 ``slot_full``, ``already_booked`` or ``booking_blocked``."""
        return await idempotent_post(
            request,
            services,
            principal,
            idempotency_key,
            lambda remember: appointments.book(services, principal, data, remember),
        )

    @get("/", operation_id="listMyAppointments", response_headers=NEXT_HEADERS)
    async def list_mine(
        self,
        *,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: Annotated[UUID | None, QueryParameter(name="applicationId")] = None,
        status: Annotated[AppointmentStatus | None, QueryParameter()] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        after: After = None,
    ) -> Response[list[AppointmentView]]:
        """My appointments, latest first; ``applicationId`` keeps those of one application,
        ``status`` those in one status; ``limit`` and ``cursor`` page."""
        which = queries.MineFilter(application_id, status, limit, cursor)
        return paged(request, await queries.list_mine(services, principal, which, after))

    @post("/{appointment_id:uuid}/cancel", operation_id="cancelAppointment", status_code=200)
    async def cancel(
        self, services: ServicesDep, principal: PrincipalDep, appointment_id: FromPath[UUID]
    ) -> BookedAppointment:
        """Cancel up to 2 hours before the start; the place is free again at once."""
        return await appointments.cancel(services, principal, appointment_id)
