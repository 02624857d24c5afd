"""Citizens' pre-reviews (预审): send a draft, read the answer, send the corrected draft."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from backend.handling import CommandAccepted
from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.http.idempotency import IdempotencyKeyHeader, idempotent_post
from backend.http.rate_limit import rate_limit
from backend.http.read_source import After
from backend.pre_reviews import commands, queries
from backend.pre_reviews.dto import (
    DraftApplication,
    PreReviewCreated,
    PreReviewDetail,
    PreReviewSummary,
)

__all__ = ["PreReviewsController"]

PreReviewId = FromPath[UUID]


class PreReviewsController(Controller):
    path = "/api/v1/pre-reviews"
    tags = ["pre-reviews"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post("/", operation_id="requestPreReview", status_code=201, guards=[rate_limit("create")])
    async def request_pre_review(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        principal: PrincipalDep,
        data: JSONBody[DraftApplication],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[PreReviewCreated]:
        """Send a draft (the body of a submission) to the item's lead department; the answer
        is due within one working day. The draft may be incomplete: that is what the answer
        tells, once and completely."""
        return await idempotent_post(
            request,
            services,
            principal,
            idempotency_key,
            lambda remember: commands.request(services, principal, data, remember),
        )

    @get("/", operation_id="listMyPreReviews")
    async def list_mine(
        self, services: ServicesDep, principal: PrincipalDep, after: After = None
    ) -> list[PreReviewSummary]:
        """My pre-reviews, newest first."""
        return await queries.list_mine(services, principal, after)

    @get("/{pre_review_id:uuid}", operation_id="getPreReview")
    async def detail(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        pre_review_id: PreReviewId,
        after: After = None,
    ) -> PreReviewDetail:
        """The pre-review: its status, the round, the last answer's findings (what is missing
        or wrong), every round, and the application submitted from it."""
        return await queries.detail(services, principal, pre_review_id, after)

    @post(
        "/{pre_review_id:uuid}/revise",
        operation_id="revisePreReview",
        status_code=200,
        guards=[rate_limit("create")],
    )
    async def revise(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        pre_review_id: PreReviewId,
        data: JSONBody[DraftApplication],
    ) -> CommandAccepted:
        """Send the corrected draft (the whole body again): the next round, answered within
        one working day. Not while the current round waits for its answer (409)."""
        return await commands.revise(services, principal, pre_review_id, data)
