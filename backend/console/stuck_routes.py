"""督办台: stuck cases with their reasons in Chinese, how long they have waited, and the
one-click actions (督办, 改派, 重发通知, 重新派送 / 改为自取)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from backend.catalog.queries import departments
from backend.console.access import STAFF_DESK, staff_page
from backend.console.case_view import today_in_china
from backend.console.forms import after_of
from backend.console.render import page
from backend.http.guards import ServicesDep
from backend.read_side import CATALOG, read_model
from backend.services import Services
from backend.supervision.queries import REASONS, stuck_cases
from domain.calendar import CST

__all__ = ["HANDLERS", "stuck_list"]


async def stuck_list(
    request: Request[Any, Any, Any],
    services: Services,
    name: str = "_stuck_list.html",
    after: int | None = None,
    **extra: Any,
) -> Template:
    """The stuck cases the signed-in staff member may see, filtered by the query string;
    ``after``: the position of an action just taken on the desk."""
    reason = request.query_params.get("reason") or None
    department = request.query_params.get("department") or None
    cases = await stuck_cases(
        services,
        request.state.principal,
        reason=reason if reason in REASONS else None,
        department=department,
        extra=services.stuck_reasons,
        after=after or after_of(request),
    )
    today = today_in_china(services)
    waited = {
        c.application_id
        or c.consultation_id
        or c.pre_review_id: services.calendar.working_days_between(
            c.since.astimezone(CST).date(), today
        )
        for c in cases
    }
    return page(
        request,
        name,
        cases=cases,
        waited=waited,
        reasons=REASONS,
        reason=reason,
        department=department,
        departments=await departments(await read_model(services, CATALOG)),
        **extra,
    )


@get("/stuck", guards=[staff_page(*STAFF_DESK)])
async def stuck(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """The stuck-case desk (department staff: their own departments' cases)."""
    if request.headers.get("hx-target") == "stuck":
        return await stuck_list(request, services)
    return await stuck_list(request, services, "stuck.html")


HANDLERS = [stuck]
