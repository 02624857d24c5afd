"""The actions on a case page: one form each, handed to the very commands the API uses, with
the API's role gates. A refused action shows the problem's detail in the page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Request, Response, post
from litestar.params import FromPath
from litestar.response import Redirect

from backend.auth.tokens import Principal
from backend.back_office import commands as back_office
from backend.console.access import STAFF_DESK, staff_page
from backend.console.case_routes import case_page_template
from backend.console.forms import Form, form_of
from backend.console.labels import EVENT_TEXT
from backend.console.render import is_htmx
from backend.console.stuck_routes import stuck_list
from backend.deliveries import commands as deliveries
from backend.handling import CommandAccepted
from backend.http.guards import ServicesDep
from backend.services import Services
from backend.supervision import commands as supervision
from domain.errors import Forbidden, NotFound, ValidationFailed

__all__ = ["ACTION_ROLES", "HANDLERS"]

Act = Callable[[Services, Principal, UUID, Form], Awaitable[object]]
_LEAD_DESK = ("clerk", "supervisor", "admin")
_REVIEWERS = ("reviewer", "supervisor", "admin")
_SUPERVISORS = ("supervisor", "admin")


def _day(form: Form, name: str) -> date | None:
    text = form.text(name, 20)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ValidationFailed("日期格式有误", {name: "应为 YYYY-MM-DD"}) from None


def _decision(form: Form) -> Any:
    decision = form.text("decision", 10)
    if decision not in ("approve", "deny"):
        raise ValidationFailed("请选择通过或不通过", {"decision": "approve 或 deny"})
    return decision


_ACTS: dict[str, Act] = {
    "accept": lambda s, p, i, f: back_office.accept(s, p, i, _day(f, "deferred_due")),
    "request_supplement": lambda s, p, i, f: back_office.request_supplement(
        s, p, i, f.texts("missing"), f.text("note")
    ),
    "reject": lambda s, p, i, f: back_office.reject(s, p, i, f.text("reason")),
    "review": lambda s, p, i, f: back_office.review(
        s,
        p,
        i,
        decision=_decision(f),
        opinion=f.text("opinion"),
        department=f.text("department", 100) or None,
    ),
    "suspend": lambda s, p, i, f: back_office.suspend(s, p, i, f.text("reason")),
    "resume": lambda s, p, i, f: back_office.resume(s, p, i),
    "issue_result": lambda s, p, i, f: back_office.issue_result(
        s, p, i, f.text("document_no", 100)
    ),
    "hand_over": lambda s, p, i, f: back_office.hand_over(s, p, i),
    "note": lambda s, p, i, f: back_office.add_note(s, p, i, f.text("text")),
    "reassign": lambda s, p, i, f: supervision.reassign(
        s,
        p,
        i,
        department=f.text("department", 100),
        from_department=f.text("from_department", 100) or None,
        reason=f.text("reason"),
    ),
    "escalate": lambda s, p, i, f: supervision.escalate(s, p, i, f.text("note")),
    "force_transition": lambda s, p, i, f: supervision.force_transition(
        s, p, i, f.text("status", 30), f.text("reason")
    ),
    "resend_notifications": lambda s, p, i, f: supervision.resend_notifications(
        s, p, i, f.text("reason")
    ),
    "redispatch": lambda s, p, i, f: deliveries.redispatch(s, p, i),
    "switch_to_pickup": lambda s, p, i, f: deliveries.switch_to_pickup(s, p, i, f.text("reason")),
}
# who may use each action: the same roles as the API's guards on its routes
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "accept": _LEAD_DESK,
    "reject": _LEAD_DESK,
    "issue_result": _LEAD_DESK,
    "hand_over": _LEAD_DESK,
    "review": _REVIEWERS,
    "reassign": _SUPERVISORS,
    "escalate": _SUPERVISORS,
    "force_transition": _SUPERVISORS,
    "resend_notifications": _SUPERVISORS,
    "redispatch": _SUPERVISORS,
    "switch_to_pickup": _SUPERVISORS,
}
_DONE = {
    "accept": "已受理",
    "request_supplement": "已一次性告知补正",
    "reject": "已不予受理",
    "review": "审查意见已提交",
    "suspend": "已挂起",
    "resume": "已恢复办理",
    "issue_result": "已出证",
    "hand_over": "已领取，办结",
    "note": "备注已保存",
    "reassign": "已改派",
    "escalate": "已督办",
    "force_transition": "已强制流转",
    "resend_notifications": "通知已重新发送",
    "redispatch": "已重新派送",
    "switch_to_pickup": "已改为自取",
}


@post("/cases/{case_id:uuid}/act/{action:str}", guards=[staff_page(*STAFF_DESK)], status_code=200)
async def act(
    request: Request[Any, Any, Any],
    services: ServicesDep,
    case_id: FromPath[UUID],
    action: FromPath[str],
) -> Response[Any]:
    """Run one action; htmx gets the case again with a note of what was done."""
    run = _ACTS.get(action)
    if run is None:
        raise NotFound("没有该操作")
    staff: Principal = request.state.principal
    if staff.role not in ACTION_ROLES.get(action, STAFF_DESK):
        raise Forbidden("您的角色不能执行此操作")
    form = await form_of(request)
    done = await run(services, staff, case_id, form)
    # the pages read from read models show the action once they have applied it
    after = done.position if isinstance(done, CommandAccepted) else None
    if form.text("from", 10) == "stuck":  # one click on the desk: the desk again
        return await stuck_list(request, services, flash=_DONE.get(action, ""), after=after)
    if not is_htmx(request):
        query = f"?after={after}" if after else ""
        return Redirect(f"/console/cases/{case_id}{query}", status_code=303)
    return await case_page_template(
        request,
        services,
        case_id,
        "_case.html",
        after,
        flash=_DONE.get(action, EVENT_TEXT.get(action, "")),
    )


HANDLERS = [act]
