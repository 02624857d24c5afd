"""The case page: the case, its live timeline, the applicant's personal data (revealed with a
reason, recorded), and previews of the uploaded materials."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from backend.audit.reveals import list_reveals, record_reveal
from backend.catalog.queries import departments
from backend.console.access import STAFF_DESK, staff_page
from backend.console.case_view import case_view, personal_of
from backend.console.forms import after_of, form_of
from backend.console.render import page
from backend.files.queries import read_upload
from backend.http.guards import ServicesDep
from backend.read_side import CATALOG, read_model
from domain.application import Application
from domain.application.access import may_see_personal_data
from domain.application.values import material_files
from domain.errors import NotFound

__all__ = ["HANDLERS", "case_page_template"]

_DESK = [staff_page(*STAFF_DESK)]
CaseId = FromPath[UUID]
_IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
_PDF_CSP = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"


async def case_page_template(
    request: Request[Any, Any, Any],
    services: ServicesDep,
    case_id: UUID,
    name: str,
    after: int | None = None,
    **extra: Any,
) -> Template:
    """The case page (or one of its parts) for the signed-in staff member; ``after``: the
    position of the action just taken (or of the redirect's ``?after=``)."""
    staff = request.state.principal
    view = await case_view(services, staff, case_id, after or after_of(request))
    overseer = staff.actor().oversees_all
    reveals = await list_reveals(services, case_id) if overseer else None
    # where a supervisor may reassign the case to
    others = await departments(await read_model(services, CATALOG)) if overseer else []
    return page(request, name, case=view, reveals=reveals, departments=others, **extra)


@get("/cases/{case_id:uuid}", guards=_DESK)
async def case_page(
    request: Request[Any, Any, Any], services: ServicesDep, case_id: CaseId
) -> Template:
    """Applicant, materials, deferred materials, timeline, review panel, money, delivery,
    evaluation, and the actions this staff member may take now."""
    return await case_page_template(request, services, case_id, "case.html")


@get("/cases/{case_id:uuid}/timeline", guards=_DESK)
async def timeline(
    request: Request[Any, Any, Any], services: ServicesDep, case_id: CaseId
) -> Template:
    """The status line and the timeline, polled by the open page (live refresh)."""
    return await case_page_template(request, services, case_id, "_case_live.html")


@post("/cases/{case_id:uuid}/personal", guards=_DESK, status_code=200)
async def reveal(
    request: Request[Any, Any, Any], services: ServicesDep, case_id: CaseId
) -> Template:
    """Show the applicant's personal data to the staff who may see it, once the reason is
    recorded (who, when, which fields, why)."""
    staff = request.state.principal
    application = await services.repository.get(Application, case_id)
    application.ensure_visible_to(staff.actor())
    if not may_see_personal_data(staff.actor(), application):
        raise NotFound("办件不存在")
    shown, fields = personal_of(application)
    reason = (await form_of(request)).text("reason", 500)
    await record_reveal(services, staff, case_id, fields, reason)
    return page(request, "_personal.html", shown=shown, reason=reason)


@get("/cases/{case_id:uuid}/materials/{file_id:uuid}", guards=_DESK)
async def material(
    request: Request[Any, Any, Any], services: ServicesDep, case_id: CaseId, file_id: FromPath[UUID]
) -> Response[bytes]:
    """An uploaded material, inline, only as a material of a case the staff member may see."""
    application = await services.repository.get(Application, case_id)
    application.ensure_visible_to(request.state.principal.actor())
    if all(str(file_id) not in material_files(m) for m in application.materials):
        raise NotFound("文件不存在")
    data, content_type = await read_upload(services, file_id, application.citizen_id)
    extension = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}
    pdf = content_type == "application/pdf"
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": f'inline; filename="material.{extension.get(content_type)}"',
            "Content-Security-Policy": _PDF_CSP if pdf else _IMAGE_CSP,
            "Cache-Control": "private, no-store",
        },
    )


HANDLERS = [case_page, timeline, reveal, material]
