"""The lead departments' pre-review queue, answers and statistics."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.handling import CommandAccepted
from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires
from backend.http.read_source import After
from backend.pre_reviews import commands, queries
from backend.pre_reviews.dto import (
    AnswerPreReview,
    PreReviewQueueItem,
    PreReviewStats,
    StaffPreReview,
)
from backend.pre_reviews.queries import PreReviewQueue
from backend.supervision.queries import check_range

__all__ = ["PreReviewsAdminController"]

PreReviewId = FromPath[UUID]


class PreReviewsAdminController(Controller):
    path = "/api/v1/admin/pre-reviews"
    tags = ["pre-reviews"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @get("/", operation_id="preReviewQueue")
    async def queue(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        queue: FromQuery[PreReviewQueue] = "pending",
        department: Annotated[str | None, QueryParameter(max_length=100)] = None,
        after: After = None,
    ) -> list[PreReviewQueueItem]:
        """Pending pre-reviews of the items my department leads, earliest answer due first
        (``due_soon``: at most one working day left; ``overdue``: late)."""
        return await queries.queue(services, principal, queue, department, after)

    @get("/stats", operation_id="preReviewStatistics")
    async def stats(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        start: FromQuery[date | None] = None,
        end: FromQuery[date | None] = None,
        department: Annotated[str | None, QueryParameter(max_length=100)] = None,
    ) -> PreReviewStats:
        """The share of submissions that came from a ready pre-review, and the supplement
        rate (补正) with and without one; rounds and answers on time."""
        check_range(start, end)
        return await queries.statistics(
            services, principal, start=start, end=end, department=department
        )

    @get("/{pre_review_id:uuid}", operation_id="staffPreReview")
    async def detail(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        pre_review_id: PreReviewId,
        after: After = None,
    ) -> StaffPreReview:
        """The pre-review with its answer clock and the situation's material list (the lead
        department, supervisors, admins)."""
        return await queries.staff_detail(services, principal, pre_review_id, after)

    @post("/{pre_review_id:uuid}/answer", operation_id="answerPreReview", status_code=200)
    async def answer(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        pre_review_id: PreReviewId,
        data: JSONBody[AnswerPreReview],
    ) -> CommandAccepted:
        """Answer this round once (一次性告知): ``ready``, or every missing or wrong material
        (``missing``) and/or a ``note`` on what else to correct. A clerk of the lead department."""
        return await commands.answer(services, principal, pre_review_id, data)
