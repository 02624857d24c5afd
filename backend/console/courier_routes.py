"""我的派送 (couriers, phone-sized): my company's open deliveries, the one I am on with its
address and phone, and the buttons for each scan or outcome, through the courier API's rules."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.console.access import staff_page
from backend.console.forms import after_of, form_of
from backend.console.render import page
from backend.deliveries import commands as deliveries
from backend.deliveries.queries import open_deliveries
from backend.http.guards import ServicesDep
from domain.delivery import Report, ReportKind
from domain.errors import NotFound, ValidationFailed

__all__ = ["HANDLERS"]

_COURIER = [staff_page("courier")]
_KINDS = {
    "picked_up": "已揽收",
    "out_for_delivery": "派送中",
    "delivered": "已签收",
    "failed": "投递失败",
    "returned": "已退回",
}


@get("/courier/", guards=_COURIER)
async def my_deliveries(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """Open deliveries of my company, oldest first."""
    found = await open_deliveries(services, request.state.principal, after_of(request))
    return page(
        request, "courier_list.html", deliveries=found, done=request.query_params.get("done")
    )


@get("/courier/{delivery_id:uuid}", guards=_COURIER)
async def delivery(
    request: Request[Any, Any, Any], services: ServicesDep, delivery_id: FromPath[UUID]
) -> Template:
    """The delivery I am on: address, phone, and what I can report."""
    found = await open_deliveries(services, request.state.principal)
    current = next((d for d in found if d.id == str(delivery_id)), None)
    if current is None:
        raise NotFound("快递任务不存在")
    return page(request, "courier_delivery.html", delivery=current, kinds=_KINDS)


@post("/courier/{delivery_id:uuid}/report", guards=_COURIER, status_code=303)
async def report(
    request: Request[Any, Any, Any], services: ServicesDep, delivery_id: FromPath[UUID]
) -> Response[Any]:
    """A scan or an outcome (the signer's name for delivered, a reason for failed/returned)."""
    form = await form_of(request)
    kind = form.text("type", 20)
    if kind not in _KINDS:
        raise ValidationFailed("未知的投递报告", {"type": f"应为{'、'.join(sorted(_KINDS))}之一"})
    kind = cast("ReportKind", kind)
    event = Report(
        kind=kind,
        at=services.clock(),
        location=form.text("location", 200),
        note=form.text("note", 500),
        signed_by=form.text("signed_by", 100),
        reason=form.text("reason", 500),
    )
    done = await deliveries.report(services, request.state.principal, delivery_id, event)
    return Redirect(f"/console/courier/?after={done.position}&done={kind}", status_code=303)


HANDLERS = [my_deliveries, delivery, report]
