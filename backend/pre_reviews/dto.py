"""Pre-reviews (预审) in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from backend.http.dto import Body, Dto
from domain.application import Delivery, MaterialRef
from domain.deadlines import DeadlineState
from domain.prereview import MAX_NOTE, PreReviewStatus

__all__ = [
    "STATUS_TEXT",
    "AnswerPreReview",
    "ChecklistItem",
    "DraftApplication",
    "DraftMaterial",
    "Findings",
    "PreReviewCreated",
    "PreReviewDetail",
    "PreReviewMaterial",
    "PreReviewQueueItem",
    "PreReviewRound",
    "PreReviewStats",
    "PreReviewSummary",
    "StaffPreReview",
]

STATUS_TEXT: dict[str, str] = {
    "pending": "预审中",
    "ready": "预审通过",
    "needs_changes": "需修改后再次预审",
}


class DraftApplication(Body, frozen=True):
    """The draft: the body of a submission (``POST /api/v1/applications``)."""

    service_code: Annotated[str, msgspec.Meta(max_length=40)]
    situation_id: Annotated[str, msgspec.Meta(max_length=100)]
    materials: tuple[MaterialRef, ...]
    delivery: Delivery
    form: dict[str, Any] = msgspec.field(default_factory=dict)
    # accepted for the same body as a submission; a pre-review is the citizen's own (400 if set
    # to someone else)
    on_behalf_of: UUID | None = None


class PreReviewCreated(Dto, frozen=True):
    id: str
    number: str
    status: PreReviewStatus
    due_at: datetime | None
    round: int
    position: int


class PreReviewMaterial(Dto, frozen=True):
    material_id: str
    name: str


class Findings(Dto, frozen=True):
    """一次性告知: what is missing or wrong (``missing``: the ids; ``missingMaterials``: with
    names), and the note."""

    missing: tuple[str, ...]
    note: str
    missing_materials: tuple[PreReviewMaterial, ...] = ()


class PreReviewRound(Dto, frozen=True, omit_defaults=True):
    """One round: when the draft was sent, and the answer once given."""

    round: int
    sent_at: datetime
    answered_at: datetime | None = None
    ready: bool | None = None
    on_time: bool | None = None
    missing: tuple[str, ...] = ()
    note: str = ""


class DraftMaterial(Dto, frozen=True):
    """A material of the draft: its uploaded files in page order, or the e-certificate."""

    material_id: str
    name: str
    file_ids: tuple[str, ...] = ()
    certificate_id: str | None = None


class PreReviewSummary(Dto, frozen=True):
    id: str
    number: str
    service_code: str
    service_name: str
    status: PreReviewStatus
    status_text: str
    round: int
    due_at: datetime | None
    requested_at: datetime
    updated_at: datetime
    application_id: str | None = None


class PreReviewDetail(Dto, frozen=True):
    """A pre-review as the citizen reads it: the current round, the last answer, every round,
    and the application submitted from it (once there is one)."""

    id: str
    number: str
    service_code: str
    service_name: str
    department: str
    situation_id: str
    status: PreReviewStatus
    status_text: str
    round: int
    due_at: datetime | None
    due_on: date | None
    requested_at: datetime
    updated_at: datetime
    materials: tuple[DraftMaterial, ...]
    delivery_method: str
    rounds: tuple[PreReviewRound, ...]
    findings: Findings | None = None
    application_id: str | None = None
    application_number: str | None = None


class ChecklistItem(Dto, frozen=True):
    """A material of the draft's situation, and whether the draft gives it."""

    material_id: str
    name: str
    required: bool
    deferrable: bool
    given: bool


class StaffPreReview(PreReviewDetail, frozen=True):
    """What the lead department sees besides: the answer clock and the situation's list."""

    deadline_state: DeadlineState | None = None
    days_left: int | None = None
    situation_name: str | None = None  # as the item's published definition names it now
    checklist: tuple[ChecklistItem, ...] = ()
    unchanged: bool | None = None  # the submission's body was the ready draft


class AnswerPreReview(Body, frozen=True):
    """Ready, or the complete list of what is missing or wrong (一次性告知)."""

    ready: bool
    missing: Annotated[
        tuple[Annotated[str, msgspec.Meta(max_length=100)], ...], msgspec.Meta(max_length=100)
    ] = ()
    note: Annotated[str, msgspec.Meta(max_length=MAX_NOTE * 2)] = ""


class PreReviewQueueItem(Dto, frozen=True):
    id: str
    number: str
    service_code: str
    service_name: str
    department: str
    round: int
    sent_at: datetime
    due_on: date | None
    deadline_state: DeadlineState | None
    days_left: int | None


class PreReviewStats(Dto, frozen=True):
    """Over applications submitted in the range (of my department, as the lead one):
    how many came from a ready pre-review, and how often each kind got a supplement request
    (补正); and over pre-reviews sent in the range: rounds and answers on time."""

    submissions: int
    pre_reviewed: int
    pre_reviewed_share: float | None
    supplement_rate_with_pre_review: float | None
    supplement_rate_without_pre_review: float | None
    pre_reviews: int
    average_rounds: float | None
    answered_on_time_share: float | None
