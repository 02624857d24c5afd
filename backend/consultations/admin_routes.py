"""The departments' consultation queue, replies, forwards, reply templates and statistics."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from litestar import Controller, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from backend.consultations import answers, commands, queries, templates
from backend.consultations.dto import (
    Forward,
    QueueItem,
    Reply,
    ReplyTemplate,
    ReplyTemplateCreate,
    StaffThread,
    StatsReport,
)
from backend.consultations.queries import ConsultationQueue
from backend.handling import CommandAccepted
from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires
from backend.http.read_source import After
from backend.supervision.queries import check_range

__all__ = ["ConsultationsAdminController", "ReplyTemplatesController"]

ConsultationId = FromPath[UUID]


class ConsultationsAdminController(Controller):
    path = "/api/v1/admin/consultations"
    tags = ["consultations"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @get("/", operation_id="consultationQueue")
    async def queue(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        queue: FromQuery[ConsultationQueue] = "open",
        department: FromQuery[str | None] = None,
        after: After = None,
    ) -> list[QueueItem]:
        """Open consultations of my department, earliest reply due first (``due_soon``: at
        most one working day left; ``overdue``: late)."""
        return await queries.queue(services, principal, queue, department, after)

    @get("/stats", operation_id="consultationStatistics")
    async def stats(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        start: FromQuery[date | None] = None,
        end: FromQuery[date | None] = None,
    ) -> StatsReport:
        """Per department: asked, answered, on time, speed, forwards, ratings; and how often
        the self-service answers spared a consultation."""
        check_range(start, end)
        since, until = queries.bounds(start, end)
        return StatsReport(
            departments=tuple(await queries.statistics(services, principal, start=start, end=end)),
            self_service=await answers.self_service_stats(services, since, until),
        )

    @get("/{consultation_id:uuid}", operation_id="consultationThread")
    async def thread(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        consultation_id: ConsultationId,
        after: After = None,
    ) -> StaffThread:
        """The thread with its reply clock and forwards (the holding department)."""
        return await queries.staff_thread(services, principal, consultation_id, after)

    @post("/{consultation_id:uuid}/reply", operation_id="replyConsultation", status_code=200)
    async def reply(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        consultation_id: ConsultationId,
        data: JSONBody[Reply],
    ) -> CommandAccepted:
        """Answer, optionally citing the document (name and number) it rests on."""
        return await commands.reply(
            services, principal, consultation_id, data.text, data.legal_basis
        )

    @post("/{consultation_id:uuid}/forward", operation_id="forwardConsultation", status_code=200)
    async def forward(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        consultation_id: ConsultationId,
        data: JSONBody[Forward],
    ) -> CommandAccepted:
        """转办 to the department the question belongs to, with the reason."""
        return await commands.forward(
            services, principal, consultation_id, data.department, data.reason
        )


class ReplyTemplatesController(Controller):
    path = "/api/v1/admin/reply-templates"
    tags = ["consultations"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @get("/", operation_id="replyTemplates")
    async def list_templates(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        department: FromQuery[str | None] = None,
    ) -> list[ReplyTemplate]:
        """My department's saved templates, then its items' FAQs, ready to reply with."""
        return await templates.list_templates(services, principal, department)

    @post("/", operation_id="createReplyTemplate", status_code=201)
    async def create(
        self, services: ServicesDep, principal: PrincipalDep, data: JSONBody[ReplyTemplateCreate]
    ) -> ReplyTemplate:
        """Save a reply template for the department."""
        return await templates.create_template(services, principal, data)

    @delete("/{template_id:uuid}", operation_id="deleteReplyTemplate", status_code=204)
    async def remove(
        self, services: ServicesDep, principal: PrincipalDep, template_id: FromPath[UUID]
    ) -> None:
        """Delete one of the department's templates."""
        await templates.delete_template(services, principal, template_id)
