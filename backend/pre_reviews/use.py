"""A formal submission that refers to a ready pre-review (预审) — the public part of this
feature that ``backend.applications.submission`` calls.

The submission passes every rule as any other; the pre-review only marks it (the application's
``Submitted`` event keeps ``{id, number, round, unchanged}``), and it is used in the same
transaction as the application is saved, so one ready pre-review stands behind one application.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backend.pre_reviews.commands import load

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from backend.services import Services
    from domain.application import Delivery, MaterialRef
    from domain.prereview import PreReview

__all__ = ["UsedPreReview", "check_pre_review", "use_pre_review"]


@dataclass(frozen=True)
class UsedPreReview:
    """The pre-review with its ``Used`` event pending (save it with the application), and the
    mark the application keeps."""

    aggregate: PreReview
    mark: dict[str, Any]


async def check_pre_review(
    services: Services, pre_review_id: UUID, *, applicant: UUID, service_code: str
) -> None:
    """Before a number is drawn: 404 ``pre_review_not_found`` (unknown or not the applicant's),
    400 ``pre_review_other_service``, 409 ``pre_review_not_ready`` / ``pre_review_used``."""
    pre_review = await load(services, pre_review_id)
    pre_review.ensure_usable(citizen_id=applicant, service_code=service_code)


async def use_pre_review(
    services: Services,
    pre_review_id: UUID,
    *,
    applicant: UUID,
    service_code: str,
    situation_id: str,
    form: dict[str, Any],
    materials: tuple[MaterialRef, ...],
    delivery: Delivery,
    application_id: UUID,
    application_number: str,
    at: datetime,
) -> UsedPreReview:
    """Load the pre-review afresh (a concurrent revision is seen, or loses the race) and record
    that this application uses it; ``unchanged`` when its body is the ready draft."""
    pre_review = await load(services, pre_review_id)
    unchanged = pre_review.matches(
        situation_id=situation_id, form=form, materials=materials, delivery=delivery
    )
    mark = pre_review.use(
        citizen_id=applicant,
        service_code=service_code,
        application_id=application_id,
        application_number=application_number,
        unchanged=unchanged,
        at=at,
    )
    return UsedPreReview(pre_review, mark)
