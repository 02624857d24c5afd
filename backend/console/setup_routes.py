"""系统管理 — the working-day calendar, the service catalogue, halls and slot templates, and
notification templates."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.appointments.queries import list_halls
from backend.catalog.commands import publish_catalog
from backend.catalog.queries import list_services, service_versions
from backend.console.access import staff_page
from backend.console.forms import after_of, form_of
from backend.console.render import page
from backend.http.guards import ServicesDep
from backend.read_side import CATALOG, read_model
from backend.working_days import commands as calendar
from backend.working_days.status import calendar_status
from domain.errors import ValidationFailed

__all__ = ["HANDLERS"]

_ADMIN = [staff_page("admin")]


@get("/admin/calendar", guards=_ADMIN)
async def calendar_page(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """Overrides, and the warning when a year deadlines may reach has no official data."""
    return page(
        request,
        "admin_calendar.html",
        overrides=await calendar.list_overrides(services),
        status=await calendar_status(services),
    )


@post("/admin/calendar", guards=_ADMIN, status_code=303)
async def set_day(request: Request[Any, Any, Any], services: ServicesDep) -> Response[Any]:
    """Make a day a holiday or a make-up workday."""
    form = await form_of(request)
    kind = form.text("kind", 10)
    if kind not in ("holiday", "workday"):
        raise ValidationFailed("请选择节假日或调休工作日", {"kind": "holiday 或 workday"})
    try:
        day = date.fromisoformat(form.text("day", 10))
    except ValueError:
        raise ValidationFailed("日期格式有误", {"day": "应为 YYYY-MM-DD"}) from None
    await calendar.set_override(
        services, request.state.principal, day, kind, form.text("note", 200)
    )
    return Redirect("/console/admin/calendar", status_code=303)


@post("/admin/calendar/{day:date}/clear", guards=_ADMIN, status_code=303)
async def clear_day(services: ServicesDep, day: FromPath[date]) -> Response[Any]:
    """Back to what the holiday package says."""
    await calendar.clear_override(services, day)
    return Redirect("/console/admin/calendar", status_code=303)


@get("/admin/catalog", guards=_ADMIN)
async def catalog(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """Every item of the catalogue; ``?code=`` shows its versions."""
    code = request.query_params.get("code")
    versions = await service_versions(services, code) if code else []
    return page(
        request,
        "admin_catalog.html",
        items=await list_services(await read_model(services, CATALOG, after_of(request))),
        code=code,
        versions=versions,
        loaded=request.query_params.get("loaded"),
    )


@post("/admin/catalog", guards=_ADMIN, status_code=303, request_max_body_size=2 * 1024 * 1024)
async def load_catalog(request: Request[Any, Any, Any], services: ServicesDep) -> Response[Any]:
    """Load a catalogue file (``{"version": 1, "services": [...]}``): new items and new
    versions of changed ones; all valid, or nothing is published."""
    upload = (await request.form()).get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        data = msgspec.json.decode(content)
    except msgspec.DecodeError as exc:
        raise ValidationFailed(f"不是有效的 JSON：{exc}", {"file": "不是有效的 JSON"}) from None
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise ValidationFailed("需要包含 services 列表的对象", {"file": "缺少 services 列表"})
    counts = await publish_catalog(services, data["services"])
    await services.runner.catch_up(services.runner.projection(CATALOG))
    summary = (
        f"新发布{counts['published']}项，修订{counts['revised']}项，未变{counts['unchanged']}项"
    )
    # the list is read from the read pool: ?after= waits until a replica has the new items
    after = await services.runner.position(CATALOG)
    return Redirect(f"/console/admin/catalog?loaded={summary}&after={after}", status_code=303)


@get("/admin/halls", guards=_ADMIN)
async def halls(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """Halls and their slot templates."""
    return page(request, "admin_halls.html", halls=await list_halls(services))


@get("/admin/templates", guards=_ADMIN)
async def templates(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """Subscribe-message templates, per notifying event."""
    return page(request, "admin_templates.html", templates=list(services.notification_templates))


HANDLERS = [calendar_page, set_day, clear_day, catalog, load_catalog, halls, templates]
