"""预审: the lead department's queue of pending pre-reviews, one pre-review with its draft and
checklist, the clerk's one answer per round, and previews of the draft's materials."""

from __future__ import annotations

from typing import Any, get_args
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.console.access import STAFF_DESK, staff_page
from backend.console.forms import after_of, form_of
from backend.console.render import is_htmx, page
from backend.files.queries import read_upload
from backend.http.guards import ServicesDep
from backend.pre_reviews import commands, queries
from backend.pre_reviews.dto import AnswerPreReview
from backend.pre_reviews.queries import PreReviewQueue
from domain.application.values import material_files
from domain.errors import NotFound, ValidationFailed
from domain.prereview import ANSWERERS, MAX_NOTE

__all__ = ["HANDLERS"]

_DESK = [staff_page(*STAFF_DESK)]
PreReviewId = FromPath[UUID]
QUEUES: tuple[str, ...] = get_args(PreReviewQueue)
QUEUE_TEXT = {"pending": "待预审", "due_soon": "今日到期", "overdue": "已超期"}
_IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
_PDF_CSP = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"


@get("/pre-reviews", guards=_DESK)
async def pre_review_queue(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """Pending pre-reviews of my department (every one for supervisors), by the answer due."""
    staff = request.state.principal
    which = request.query_params.get("queue") or "pending"
    if which not in QUEUES:
        raise ValidationFailed("筛选条件有误", {"queue": "pending、due_soon 或 overdue"})
    every = await queries.queue(services, staff, "pending", after=after_of(request))
    counts = {q: sum(1 for i in every if q in ("pending", i.deadline_state)) for q in QUEUES}
    items = [i for i in every if which in ("pending", i.deadline_state)]
    return page(
        request, "pre_reviews.html", items=items, queue=which, counts=counts, queues=QUEUE_TEXT
    )


async def _pre_review_template(
    request: Request[Any, Any, Any],
    services: ServicesDep,
    pre_review_id: UUID,
    name: str,
    after: int | None = None,
    **extra: Any,
) -> Template:
    staff = request.state.principal
    view = await queries.staff_detail(services, staff, pre_review_id, after or after_of(request))
    may_answer = (
        view.status == "pending" and staff.role in ANSWERERS and staff.department == view.department
    )
    drafted = {m.material_id: m for m in view.materials}
    return page(
        request,
        name,
        pre=view,
        drafted=drafted,
        may_answer=may_answer,
        max_note=MAX_NOTE,
        **extra,
    )


@get("/pre-reviews/{pre_review_id:uuid}", guards=_DESK)
async def pre_review_page(
    request: Request[Any, Any, Any], services: ServicesDep, pre_review_id: PreReviewId
) -> Template:
    """The draft's materials against the situation's list, every round, and the answer form
    for a clerk of the lead department while the round waits for its answer."""
    return await _pre_review_template(request, services, pre_review_id, "pre_review.html")


@post("/pre-reviews/{pre_review_id:uuid}/answer", guards=_DESK, status_code=200)
async def answer(
    request: Request[Any, Any, Any], services: ServicesDep, pre_review_id: PreReviewId
) -> Response[Any]:
    """The clerk's one answer: 通过, or every missing or wrong material and the note."""
    form = await form_of(request)
    decision = form.text("decision", 20)
    if decision not in ("ready", "needs_changes"):
        raise ValidationFailed("请选择通过或需要修改", {"decision": "ready 或 needs_changes"})
    body = AnswerPreReview(
        ready=decision == "ready",
        missing=tuple(form.texts("missing")) if decision == "needs_changes" else (),
        note=form.text("note", MAX_NOTE),
    )
    done = await commands.answer(services, request.state.principal, pre_review_id, body)
    if not is_htmx(request):
        return Redirect(
            f"/console/pre-reviews/{pre_review_id}?after={done.position}", status_code=303
        )
    flash = "已答复：预审通过" if body.ready else "已一次性告知需修改的内容"
    return await _pre_review_template(
        request, services, pre_review_id, "_pre_review.html", done.position, flash=flash
    )


@get("/pre-reviews/{pre_review_id:uuid}/materials/{file_id:uuid}", guards=_DESK)
async def material(
    request: Request[Any, Any, Any],
    services: ServicesDep,
    pre_review_id: PreReviewId,
    file_id: FromPath[UUID],
) -> Response[bytes]:
    """A file of the draft, inline, only as a material of a pre-review the staff member may
    see."""
    pre_review = await commands.load(services, pre_review_id)
    pre_review.ensure_visible_to(request.state.principal.actor())
    if all(str(file_id) not in material_files(m) for m in pre_review.materials):
        raise NotFound("文件不存在")
    data, content_type = await read_upload(services, file_id, pre_review.citizen_id)
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


HANDLERS = [pre_review_queue, pre_review_page, answer, material]
