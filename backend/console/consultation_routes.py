"""咨询台: a department's consultations (open, due soon, overdue) and one thread's page, where a
clerk answers (from a reply template or the item's FAQs, with the legal basis) or forwards it
(转办) — through the very commands and queries of the API, with its access rules."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.catalog.queries import departments
from backend.console.access import STAFF_DESK, staff_page
from backend.console.forms import after_of, form_of
from backend.console.render import is_htmx, page
from backend.consultations import commands, queries, templates
from backend.consultations.dto import LegalBasisBody
from backend.consultations.queries import ConsultationQueue
from backend.handling import CommandAccepted
from backend.http.guards import ServicesDep
from backend.services import Services

__all__ = ["HANDLERS", "QUEUE_TEXT", "open_consultations"]

QUEUE_TEXT: dict[str, str] = {"open": "待答复", "due_soon": "即将到期", "overdue": "已超期"}
_GUARD = [staff_page(*STAFF_DESK)]
ConsultationId = FromPath[UUID]


async def open_consultations(services: Services, request: Request[Any, Any, Any]) -> int:
    """How many consultations wait for the signed-in staff member's department."""
    return len(await queries.queue(services, request.state.principal, "open"))


@get("/consultations", guards=_GUARD)
async def consultation_queue(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """The department's open consultations, earliest reply due first, by queue."""
    staff = request.state.principal
    wanted = request.query_params.get("queue", "open")
    which: ConsultationQueue = wanted if wanted in QUEUE_TEXT else "open"  # type: ignore[assignment]
    every = await queries.queue(services, staff, "open", after=after_of(request))
    counts = {q: sum(q in ("open", i.deadline_state) for i in every) for q in QUEUE_TEXT}
    items = [i for i in every if which in ("open", i.deadline_state)]
    return page(
        request, "consultations.html", items=items, counts=counts, queue=which, queues=QUEUE_TEXT
    )


async def _thread_page(
    request: Request[Any, Any, Any],
    services: Services,
    consultation_id: UUID,
    *,
    after: int | None = None,
    flash: str = "",
    name: str = "consultation.html",
) -> Template:
    staff = request.state.principal
    thread = await queries.staff_thread(services, staff, consultation_id, after)
    chosen = request.query_params.get("template")
    offered = await templates.list_templates(services, staff, thread.department)
    offered = [t for t in offered if t.service_code in (None, thread.service_code)]
    draft = next((t for t in offered if t.id == chosen), None)
    return page(
        request,
        name,
        thread=thread,
        templates=offered,
        draft=draft,
        departments=[d for d in await departments(services.pool) if d != thread.department],
        holds=staff.actor().oversees_all or staff.department == thread.department,
        flash=flash,
    )


@get("/consultations/{consultation_id:uuid}", guards=_GUARD)
async def consultation_page(
    request: Request[Any, Any, Any], services: ServicesDep, consultation_id: ConsultationId
) -> Template:
    """One thread: the question, the replies with their legal basis, forwards, the reply clock;
    ``?template=`` puts a reply template into the answer box."""
    return await _thread_page(request, services, consultation_id, after=after_of(request))


async def _done(
    request: Request[Any, Any, Any],
    services: Services,
    consultation_id: UUID,
    done: CommandAccepted,
    flash: str,
) -> Response[Any]:
    if not is_htmx(request):
        return Redirect(
            f"/console/consultations/{consultation_id}?after={done.position}", status_code=303
        )
    return await _thread_page(
        request,
        services,
        consultation_id,
        after=done.position,
        flash=flash,
        name="_consultation.html",
    )


@post("/consultations/{consultation_id:uuid}/reply", guards=_GUARD, status_code=200)
async def reply(
    request: Request[Any, Any, Any], services: ServicesDep, consultation_id: ConsultationId
) -> Response[Any]:
    """Answer the citizen (sent to them by subscribe message)."""
    form = await form_of(request)
    name = form.text("basis_name", 200)
    basis = LegalBasisBody(name=name, number=form.text("basis_number", 200)) if name else None
    done = await commands.reply(
        services, request.state.principal, consultation_id, form.text("text"), basis
    )
    return await _done(request, services, consultation_id, done, "答复已发送给群众")


@post("/consultations/{consultation_id:uuid}/forward", guards=_GUARD, status_code=200)
async def forward(
    request: Request[Any, Any, Any], services: ServicesDep, consultation_id: ConsultationId
) -> Response[Any]:
    """转办 to the department the question belongs to (then 3 working days from the question);
    the clerk is back at the queue, which no longer holds it."""
    form = await form_of(request)
    done = await commands.forward(
        services,
        request.state.principal,
        consultation_id,
        form.text("department", 100),
        form.text("reason", 500),
    )
    # the thread has left the department (it may no longer see it): back to the queue
    target = f"/console/consultations?after={done.position}"
    if is_htmx(request):
        return Response(None, status_code=204, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


HANDLERS = [consultation_queue, consultation_page, reply, forward]
