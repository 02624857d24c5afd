"""办件箱: the role's boxes with counts, search, filters, sorting, pages, CSV export and bulk
actions for supervisors."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from backend.back_office.search import CaseFilter, box_counts, boxes_for, search_cases
from backend.catalog.queries import list_services
from backend.console.access import STAFF_DESK, AccountDep, staff_page
from backend.console.consultation_routes import open_consultations
from backend.console.forms import form_of, query_struct
from backend.console.labels import DEADLINE_TEXT
from backend.console.render import is_htmx, page
from backend.handling import CommandAccepted
from backend.http.guards import ServicesDep
from backend.pre_reviews import queries as pre_reviews
from backend.read_side import CATALOG, read_model
from backend.supervision import commands as supervision
from domain.application.status import ALL
from domain.errors import DomainError, ValidationFailed

__all__ = ["HANDLERS"]

_EXPORT_LIMIT = 5000


@get("/worklist", guards=[staff_page(*STAFF_DESK)])
async def worklist(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """The worklist page, or only its results when htmx asks (filters, pages)."""
    staff = request.state.principal
    wanted = query_struct(request, CaseFilter)
    found = await search_cases(services, staff, wanted)
    if is_htmx(request) and request.headers.get("hx-target") == "results":
        return page(request, "_worklist_results.html", found=found, wanted=wanted)
    return page(
        request,
        "worklist.html",
        found=found,
        wanted=wanted,
        counts=await box_counts(services, staff),
        boxes=boxes_for(staff),
        services_list=await list_services(await read_model(services, CATALOG)),
        statuses=sorted(ALL),
        deadline_states=DEADLINE_TEXT,
        consultations=await open_consultations(services, request),
        pre_reviews_pending=len(await pre_reviews.queue(services, staff, "pending")),
    )


@get("/worklist.csv", guards=[staff_page(*STAFF_DESK)])
async def export_csv(request: Request[Any, Any, Any], services: ServicesDep) -> Response[bytes]:
    """The current list (every page of it, up to 5000 rows) as CSV for a spreadsheet."""
    wanted = query_struct(request, CaseFilter)
    found = await search_cases(services, request.state.principal, wanted, limit=_EXPORT_LIMIT)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "办件编号",
            "事项",
            "状态",
            "牵头部门",
            "当前办理部门",
            "提交时间",
            "承诺办结日期",
            "剩余工作日",
            "时限状态",
            "督办次数",
        ]
    )
    for r in found.rows:
        writer.writerow(
            [
                r.number,
                r.service_name,
                r.status_text,
                r.department,
                "、".join(r.pending_departments),
                r.submitted_at.isoformat(timespec="minutes"),
                r.deadline or "",
                "" if r.days_left is None else r.days_left,
                DEADLINE_TEXT.get(r.deadline_state or "", ""),
                r.escalations,
            ]
        )
    return Response(
        "\ufeff".encode() + out.getvalue().encode(),  # BOM: spreadsheets read it as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="worklist.csv"'},
    )


@post("/worklist/bulk", guards=[staff_page("supervisor", "admin")], status_code=200)
async def bulk(
    request: Request[Any, Any, Any], services: ServicesDep, account: AccountDep
) -> Template:
    """督办 or 改派 for every ticked case, each on its own; the outcome of each is listed."""
    form = await form_of(request)
    ids = form.uuids("ids")
    action, text = form.text("action", 20), form.text("text", 500)
    department = form.text("department", 100)
    if not ids:
        raise ValidationFailed("请先勾选办件", {"ids": "至少一项"})
    if action not in ("escalate", "reassign"):
        raise ValidationFailed("未知的批量操作", {"action": "escalate 或 reassign"})
    staff = account.principal()
    outcomes: list[tuple[str, str]] = []
    for application_id in ids:
        try:
            done: CommandAccepted
            if action == "escalate":
                done = await supervision.escalate(services, staff, application_id, text)
            else:
                done = await supervision.reassign(
                    services,
                    staff,
                    application_id,
                    department=department,
                    from_department=None,
                    reason=text,
                )
            outcomes.append((str(application_id), f"已完成（{done.status}）"))
        except DomainError as exc:  # one refused case does not stop the others
            outcomes.append((str(application_id), f"未完成：{exc.detail}"))
    return page(request, "_bulk_result.html", outcomes=outcomes, action=action)


HANDLERS = [worklist, export_csv, bulk]
