"""Consultations and self-service answers in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from backend.http.dto import Body, Dto
from domain.consultation import MAX_FILES, MAX_TEXT

__all__ = [
    "Answer",
    "AskConsultation",
    "AskedConsultation",
    "CloseConsultation",
    "ConsultationMessage",
    "ConsultationStats",
    "ConsultationSummary",
    "ConsultationThread",
    "FollowUp",
    "Forward",
    "Forwarding",
    "LegalBasisBody",
    "QueueItem",
    "Reply",
    "ReplyTemplate",
    "ReplyTemplateCreate",
    "SelfServiceStats",
    "StaffThread",
    "StatsReport",
]

Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT * 2)]  # the domain says the exact limit
FileIds = Annotated[tuple[UUID, ...], msgspec.Meta(max_length=MAX_FILES * 2)]


class LegalBasisBody(Body, frozen=True):
    """The document a reply rests on: its name and its number or article."""

    name: Annotated[str, msgspec.Meta(max_length=200)]
    number: Annotated[str, msgspec.Meta(max_length=200)] = ""


class AskConsultation(Body, frozen=True):
    service_code: Annotated[str, msgspec.Meta(max_length=40)]
    question: Text
    file_ids: FileIds = ()


class AskedConsultation(Dto, frozen=True):
    id: str
    number: str
    status: str
    reply_due_at: datetime | None
    position: int


class FollowUp(Body, frozen=True):
    text: Text
    file_ids: FileIds = ()


class CloseConsultation(Body, frozen=True):
    rating: int | None = None


class ConsultationSummary(Dto, frozen=True):
    id: str
    number: str
    service_code: str
    service_name: str
    department: str
    status: str
    reply_due_at: datetime | None
    asked_at: datetime
    updated_at: datetime


class ConsultationMessage(Dto, frozen=True):
    at: datetime
    from_: Literal["citizen", "staff"] = msgspec.field(name="from")
    text: str
    department: str | None = None
    legal_basis: LegalBasisBody | None = None
    file_ids: tuple[str, ...] = ()


class ConsultationThread(Dto, frozen=True):
    id: str
    number: str
    service_code: str
    service_name: str
    department: str
    status: str
    reply_due_at: datetime | None
    reply_due_on: date | None
    asked_at: datetime
    rating: int | None
    messages: tuple[ConsultationMessage, ...]


class Forwarding(Dto, frozen=True):
    at: datetime
    from_department: str
    to_department: str
    reason: str


class StaffThread(ConsultationThread, frozen=True):
    """What the departments see besides the thread: the clock and the forwards."""

    deadline_state: str | None = None
    days_left: int | None = None
    forwards: tuple[Forwarding, ...] = ()


class Reply(Body, frozen=True):
    text: Text
    legal_basis: LegalBasisBody | None = None


class Forward(Body, frozen=True):
    department: Annotated[str, msgspec.Meta(max_length=100)]
    reason: Annotated[str, msgspec.Meta(max_length=500)]


class QueueItem(Dto, frozen=True):
    id: str
    number: str
    service_code: str
    service_name: str
    department: str
    status: str
    question: str
    asked_at: datetime
    reply_due_on: date | None
    deadline_state: str | None
    days_left: int | None
    forwarded: bool
    replies: int


class Answer(Dto, frozen=True):
    """A FAQ or a guide that may answer the citizen's question; ``score`` is 0..1."""

    service_code: str
    service_name: str
    kind: Literal["faq", "guide"]
    question: str
    answer: str
    score: float
    legal_basis: LegalBasisBody | None = None


class ReplyTemplate(Dto, frozen=True):
    """A ready answer: one the department saved, or a FAQ of its items."""

    id: str
    source: Literal["department", "faq"]
    title: str
    text: str
    legal_basis: LegalBasisBody | None = None
    service_code: str | None = None


class ReplyTemplateCreate(Body, frozen=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    text: Text
    legal_basis: LegalBasisBody | None = None
    department: Annotated[str, msgspec.Meta(max_length=100)] | None = None  # admins only


class ConsultationStats(Dto, frozen=True):
    """Per department, over consultations asked in the range; searches over the same range."""

    department: str
    asked: int
    answered: int
    answered_on_time_share: float | None
    average_reply_working_days: float | None
    forwarded: int
    overdue_now: int
    ratings: int
    average_rating: float | None


class SelfServiceStats(Dto, frozen=True):
    """答疑: searches, and how often a visit that found answers did not go on to ask.

    A visit: one logged-in citizen's searches less than 30 minutes apart; decided once 24 hours
    have passed since its last search (anonymous searches count only in ``searches``)."""

    searches: int
    visits: int
    visits_with_answers: int
    answered_without_asking: int
    answered_without_asking_share: float | None


class StatsReport(Dto, frozen=True):
    departments: tuple[ConsultationStats, ...]
    self_service: SelfServiceStats
