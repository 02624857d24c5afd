"""Request and response bodies (camelCase JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec

from domain.catalog import Situation

__all__ = [
    "AcceptedCommand",
    "ApplicationProgress",
    "ApplicationSummary",
    "CitizenLogin",
    "CitizenToken",
    "FileInfo",
    "HistoryEntry",
    "IssueResult",
    "Note",
    "Review",
    "ServiceGuide",
    "ServiceSummary",
    "StaffLogin",
    "StaffToken",
    "SubmittedApplication",
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
    code: str


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


class HistoryEntry(Dto, frozen=True):
    version: int
    type: str
    at: datetime
    actor: dict[str, Any] | None
    data: dict[str, Any]
