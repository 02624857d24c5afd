"""预约叫号 (hall clerks): today's bookings of my hall, check-in with a queue number, no-shows."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Template

from backend.appointments import commands as appointments
from backend.appointments.dto import HallView
from backend.appointments.queries import hall_day, list_halls
from backend.console.access import staff_page
from backend.console.case_view import today_in_china
from backend.console.forms import form_of
from backend.console.render import page
from backend.http.guards import ServicesDep
from backend.services import Services
from domain.errors import NotFound, ValidationFailed
from domain.halls import HallDefinition

__all__ = ["HANDLERS"]

_DESK = [staff_page("clerk", "supervisor", "admin")]


async def _desk(
    request: Request[Any, Any, Any],
    services: Services,
    hall_id: str | None,
    day: date,
    **extra: Any,
) -> Template:
    staff = request.state.principal
    mine = [h for h in await list_halls(services) if _works_at(h, staff)]
    if not mine:
        raise NotFound("您所在的部门没有进驻的大厅")
    hall = next((h for h in mine if h.id == hall_id), mine[0])
    bookings = await hall_day(services, staff, hall.id, day, extra.pop("after", None))
    return page(
        request,
        extra.pop("name", "desk.html"),
        halls=mine,
        hall=hall,
        day=day,
        bookings=bookings,
        counts={
            s: sum(1 for b in bookings if b.status == s)
            for s in ("booked", "checked_in", "no_show", "cancelled")
        },
        **extra,
    )


def _works_at(hall: HallView, staff: Any) -> bool:
    """Whether ``staff`` works the hall (the hall's own rule)."""
    definition = msgspec.convert(msgspec.to_builtins(hall), HallDefinition)
    return definition.admits(staff.actor())


@get("/desk", guards=_DESK)
async def desk(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """The day's bookings of a hall (``?hall=``, ``?date=``; today by default)."""
    text = request.query_params.get("date") or ""
    try:
        day = date.fromisoformat(text) if text else today_in_china(services)
    except ValueError:
        raise ValidationFailed("日期格式有误", {"date": "应为 YYYY-MM-DD"}) from None
    return await _desk(request, services, request.query_params.get("hall"), day)


@post("/desk/{appointment_id:uuid}/check-in", guards=_DESK, status_code=200)
async def check_in(
    request: Request[Any, Any, Any], services: ServicesDep, appointment_id: FromPath[UUID]
) -> Template:
    """The citizen is here: the next queue number of the hall for the day."""
    form = await form_of(request)
    done = await appointments.check_in(services, request.state.principal, appointment_id)
    return await _desk(
        request,
        services,
        form.text("hall", 50) or None,
        today_in_china(services),
        after=done.position,
        flash=f"签到成功，排队号 {done.queue_number}",
        name="_desk_table.html",
    )


HANDLERS = [desk, check_in]
