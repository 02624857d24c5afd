"""Citizens' consultations (咨询) and the self-service answers shown before one is asked."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.consultations import answers, commands, queries
from backend.consultations.dto import (
    Answer,
    AskConsultation,
    AskedConsultation,
    CloseConsultation,
    ConsultationSummary,
    ConsultationThread,
    FollowUp,
)
from backend.handling import CommandAccepted
from backend.http.guards import PrincipalDep, ServicesDep, current, requires
from backend.http.idempotency import IdempotencyKeyHeader, idempotent_post
from backend.http.rate_limit import rate_limit
from backend.http.read_source import After
from backend.services import Services

__all__ = ["AnswersController", "ConsultationsController"]

ConsultationId = FromPath[UUID]


class ConsultationsController(Controller):
    path = "/api/v1/consultations"
    tags = ["consultations"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post("/", operation_id="askConsultation", status_code=201, guards=[rate_limit("create")])
    async def ask(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        principal: PrincipalDep,
        data: JSONBody[AskConsultation],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[AskedConsultation]:
        """Ask the item's department; the reply is due in two working days."""
        return await idempotent_post(
            request,
            services,
            principal,
            idempotency_key,
            lambda remember: commands.ask(services, principal, data, remember),
        )

    @get("/", operation_id="listMyConsultations")
    async def list_mine(
        self, services: ServicesDep, principal: PrincipalDep, after: After = None
    ) -> list[ConsultationSummary]:
        """My consultations, newest first."""
        return await queries.list_mine(services, principal, after)

    @get("/{consultation_id:uuid}", operation_id="getConsultation")
    async def thread(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        consultation_id: ConsultationId,
        after: After = None,
    ) -> ConsultationThread:
        """The thread: my question, the replies (with their legal basis), my follow-ups."""
        return await queries.thread(services, principal, consultation_id, after)

    @post(
        "/{consultation_id:uuid}/messages",
        operation_id="followUpConsultation",
        status_code=200,
        guards=[rate_limit("create")],
    )
    async def follow_up(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        consultation_id: ConsultationId,
        data: JSONBody[FollowUp],
    ) -> CommandAccepted:
        """Write again; after a reply this opens a new two-working-day reply period."""
        return await commands.follow_up(
            services, principal, consultation_id, data.text, data.file_ids
        )

    @post("/{consultation_id:uuid}/close", operation_id="closeConsultation", status_code=200)
    async def close(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        consultation_id: ConsultationId,
        data: JSONBody[CloseConsultation | None] = None,
    ) -> CommandAccepted:
        """Close the thread, rating it 1..5 if you like."""
        rating = data.rating if data is not None else None
        return await commands.close(services, principal, consultation_id, rating)


async def _citizen_of(request: Request[Any, Any, Any], services: Services) -> UUID | None:
    """The logged-in citizen, when the request carries their token (the search is public)."""
    scheme, _sep, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    principal = await current(services, services.tokens.verify(token.strip()))
    return UUID(principal.id) if principal.role == "citizen" else None


class AnswersController(Controller):
    path = "/api/v1/answers"
    tags = ["consultations"]  # noqa: RUF012

    @get("/", operation_id="searchAnswers")
    async def search(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        q: Annotated[str, QueryParameter(min_length=1, max_length=200)],
        service_code: Annotated[
            str | None, QueryParameter(name="serviceCode", max_length=40)
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=20)] = 5,
    ) -> list[Answer]:
        """FAQs and guides that may answer the question, best first (score 0..1); shown before
        a consultation is asked. Chinese is segmented into words (jieba-rs)."""
        citizen_id = await _citizen_of(request, services)
        return await answers.search(
            services, q, service_code=service_code, citizen_id=citizen_id, limit=limit
        )
