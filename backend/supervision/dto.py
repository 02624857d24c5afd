"""Supervision in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from backend.http.dto import Body, Dto
from domain.application.status import Status
from domain.consultation import ConsultationStatus
from domain.prereview import PreReviewStatus

__all__ = [
    "Escalate",
    "ForceTransition",
    "Reassign",
    "RectificationItem",
    "RectificationStatus",
    "RectificationStep",
    "ServiceStats",
    "StuckCase",
]


class Reassign(Body, frozen=True):
    department: str
    reason: str
    from_department: str | None = None


class Escalate(Body, frozen=True):
    note: str


class ForceTransition(Body, frozen=True):
    status: str
    reason: str


class RectificationStep(Body, frozen=True):
    step: Literal["follow_up", "fix", "feedback", "close"]
    note: str


RectificationStatus = Literal["open", "follow_up", "fix", "feedback", "closed"]


class StuckCase(Dto, frozen=True):
    """A stuck application, or (``kind`` "consultation") a consultation whose reply is late:
    then ``applicationId`` is null and ``consultationId`` names it."""

    application_id: str | None
    number: str
    service_code: str
    service_name: str
    status: Status | ConsultationStatus | PreReviewStatus  # a consultation's, a pre-review's
    department: str
    pending_departments: tuple[str, ...]
    reasons: tuple[str, ...]
    explanations: tuple[str, ...]
    since: datetime
    deadline: date | None
    escalations: int
    legal_deadline: date | None = None
    kind: Literal["application", "consultation", "pre_review"] = "application"
    consultation_id: str | None = None
    pre_review_id: str | None = None  # kind "pre_review": a pre-review (预审) answered late


class ServiceStats(Dto, frozen=True):
    service_code: str
    service_name: str
    department: str
    received: int
    completed: int
    on_time_rate: float | None
    average_working_days: float | None
    supplement_rounds: int
    with_second_supplement_round: int
    zero_visit_share: float | None
    ratings: int
    average_rating: float | None
    satisfied_share: float | None
    certificate_share: float | None = None  # 免提交率: materials satisfied by e-certificates


class RectificationItem(Dto, frozen=True):
    application_id: str
    number: str
    rating: int
    comment: str
    departments: tuple[str, ...]
    steps: tuple[dict[str, Any], ...]
    status: RectificationStatus
    opened_at: datetime
    updated_at: datetime
