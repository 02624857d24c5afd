"""统计: the figures of ``/api/v1/admin/stats`` per department and service for a date range,
with server-rendered SVG charts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec
from litestar import Request, get
from litestar.response import Template

from backend.console.access import STAFF_DESK, staff_page
from backend.console.case_view import today_in_china
from backend.console.charts import bar_chart
from backend.console.forms import query_struct
from backend.console.render import page
from backend.http.guards import ServicesDep
from backend.supervision.queries import list_rectifications, rating_distribution, statistics

__all__ = ["HANDLERS"]


class Range(msgspec.Struct, frozen=True):
    start: date | None = None
    end: date | None = None
    department: str | None = None


@get("/dashboard", guards=[staff_page(*STAFF_DESK)])
async def dashboard(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """On-time rate, average working days, 全程网办 share, 好差评 and rectifications."""
    staff = request.state.principal
    wanted = query_struct(request, Range)
    today = today_in_china(services)
    start = wanted.start or today - timedelta(days=30)
    end = wanted.end or today
    rows = await statistics(services, staff, start=start, end=end, department=wanted.department)
    ratings = await rating_distribution(
        services, staff, start=start, end=end, department=wanted.department
    )
    rectifications = await list_rectifications(services) if staff.actor().oversees_all else []
    by_status: dict[str, int] = {}
    for item in rectifications:
        by_status[item.status] = by_status.get(item.status, 0) + 1
    label = [f"{r.service_name}（{r.department}）" for r in rows]
    charts = [
        bar_chart(
            "按时办结率",
            list(zip(label, [r.on_time_rate for r in rows], strict=True)),
            scale=1,
            unit="%",
        ),
        bar_chart(
            "平均办理工作日",
            list(zip(label, [r.average_working_days for r in rows], strict=True)),
            unit="天",
        ),
        bar_chart(
            "全程网办（零跑腿）占比",
            list(zip(label, [r.zero_visit_share for r in rows], strict=True)),
            scale=1,
            unit="%",
        ),
        bar_chart(
            "好差评分布",
            [(f"{n}星", float(c)) for n, c in sorted(ratings.items(), reverse=True)],
            unit="件",
        ),
    ]
    return page(
        request,
        "dashboard.html",
        rows=rows,
        charts=charts,
        start=start,
        end=end,
        department=wanted.department or "",
        ratings=ratings,
        rectifications=by_status,
    )


HANDLERS = [dashboard]
