"""Request and response bodies (camelCase JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from domain.application import MaterialRef
from domain.catalog import Situation

__all__ = [
    "Accept",
    "AcceptedCommand",
    "ApplicationProgress",
    "ApplicationSummary",
    "AppointmentView",
    "CitizenLogin",
    "CitizenToken",
    "DeferredMaterialView",
    "DeliveryView",
    "Escalate",
    "Evaluation",
    "EvaluationView",
    "FileInfo",
    "ForceTransition",
    "HistoryEntry",
    "IssueResult",
    "Note",
    "PaymentView",
    "Reason",
    "Reassign",
    "RectificationItem",
    "RectificationStep",
    "RequestSupplement",
    "Review",
    "ServiceGuide",
    "ServiceStats",
    "ServiceSummary",
    "StaffLogin",
    "StaffToken",
    "StuckCase",
    "SubmittedApplication",
    "Supplement",
    "Supplements",
    "TimelineEntry",
    "Withdraw",
    "WorkItem",
]


class Dto(msgspec.Struct, rename="camel", frozen=True):
    pass


class Body(msgspec.Struct, rename="camel", frozen=True, forbid_unknown_fields=True):
    pass


# --- auth --------------------------------------------------------------------------------------


class CitizenLogin(Body, frozen=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class CitizenToken(Dto, frozen=True):
    token: str
    citizen_id: str
    expires_at: datetime


class StaffLogin(Body, frozen=True):
    username: str
    password: str


class StaffToken(Dto, frozen=True):
    token: str
    staff_id: str
    role: str
    department: str | None
    expires_at: datetime


# --- catalogue ---------------------------------------------------------------------------------


class ServiceSummary(Dto, frozen=True):
    code: str
    name: str
    department: str
    kind: str
    promised_days: int
    legal_days: int
    fee: int
    online: bool
    max_visits: int


class ServiceGuide(ServiceSummary, frozen=True):
    situations: tuple[Situation, ...]
    stages: tuple[tuple[str, ...], ...]
    delivery_options: tuple[str, ...]
    needs_appointment: bool
    description: str = ""
    pickup_place: str = ""


# --- files and applications --------------------------------------------------------------------


class FileInfo(Dto, frozen=True):
    file_id: str
    sha256: str
    size: int
    content_type: str


class SubmittedApplication(Dto, frozen=True):
    id: str
    number: str
    status: str
    position: int


class ApplicationSummary(Dto, frozen=True):
    id: str
    number: str
    service_name: str
    status: str
    status_text: str
    updated_at: datetime


class TimelineEntry(Dto, frozen=True):
    at: datetime
    type: str
    text: str


class Supplement(Dto, frozen=True):
    missing: tuple[str, ...]
    note: str


class PaymentView(Dto, frozen=True):
    amount: int
    status: str


class DeliveryView(Dto, frozen=True):
    method: str
    status: str
    company: str | None = None
    waybill_no: str | None = None
    events: tuple[dict[str, Any], ...] = ()


class EvaluationView(Dto, frozen=True):
    rating: int


class DeferredMaterialView(Dto, frozen=True):
    """A material accepted as deferred (容缺), still to be handed in by ``due``."""

    material_id: str
    name: str
    due: date


class AppointmentView(Dto, frozen=True):
    """The hall visit booked for this application, if any."""

    id: str
    hall_name: str
    start: datetime
    end: datetime
    status: str
    hall_address: str = ""
    queue_number: str | None = None


class ApplicationProgress(Dto, frozen=True):
    id: str
    number: str
    service_code: str
    service_name: str
    status: str
    status_text: str
    submitted_at: datetime
    timeline: tuple[TimelineEntry, ...]
    deadline: date | None = None
    supplement: Supplement | None = None
    payment: PaymentView | None = None
    delivery: DeliveryView | None = None
    evaluation: EvaluationView | None = None
    deferred_materials: tuple[DeferredMaterialView, ...] = ()
    appointment: AppointmentView | None = None


class Withdraw(Body, frozen=True):
    reason: str = ""


class AcceptedCommand(Dto, frozen=True):
    """A command's outcome; pass ``position`` as ``?after=`` to read your own write."""

    id: str
    status: str
    position: int


# --- operators ---------------------------------------------------------------------------------


class Review(Body, frozen=True):
    decision: Literal["approve", "deny"]
    opinion: str = ""
    department: str | None = None  # supervisors and admins act for a department


class IssueResult(Body, frozen=True):
    document_no: str


class Note(Body, frozen=True):
    text: str


class WorkItem(Dto, frozen=True):
    id: str
    number: str
    service_code: str
    service_name: str
    status: str
    status_text: str
    queue: str
    departments: tuple[str, ...]
    submitted_at: datetime
    deadline: date | None
    escalations: int = 0
    legal_deadline: date | None = None  # the statutory limit, counted beside the promised one


class HistoryEntry(Dto, frozen=True):
    version: int
    type: str
    at: datetime
    actor: dict[str, Any] | None
    data: dict[str, Any]


# --- back office -------------------------------------------------------------------------------


class Accept(Body, frozen=True):
    deferred_due: date | None = None  # when deferred (容缺) materials are due; default 10 days


class RequestSupplement(Body, frozen=True):
    missing: tuple[str, ...]
    note: str = ""


class Supplements(Body, frozen=True):
    materials: tuple[MaterialRef, ...]


class Reason(Body, frozen=True):
    reason: str


class Reassign(Body, frozen=True):
    department: str
    reason: str
    from_department: str | None = None


class Escalate(Body, frozen=True):
    note: str


class ForceTransition(Body, frozen=True):
    status: str
    reason: str


class Evaluation(Body, frozen=True):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: str = ""


class RectificationStep(Body, frozen=True):
    step: Literal["follow_up", "fix", "feedback", "close"]
    note: str


class StuckCase(Dto, frozen=True):
    application_id: str
    number: str
    service_code: str
    service_name: str
    status: str
    department: str
    pending_departments: tuple[str, ...]
    reasons: tuple[str, ...]
    explanations: tuple[str, ...]
    since: datetime
    deadline: date | None
    escalations: int
    legal_deadline: date | None = None


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


class RectificationItem(Dto, frozen=True):
    application_id: str
    number: str
    rating: int
    comment: str
    departments: tuple[str, ...]
    steps: tuple[dict[str, Any], ...]
    status: str
    opened_at: datetime
    updated_at: datetime
