"""The departments' work in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from backend.http.dto import Body, Dto
from domain.actors import StaffRole
from domain.application import Queue
from domain.application.status import Status

__all__ = [
    "Accept",
    "HistoryEntry",
    "IssueResult",
    "Note",
    "RequestSupplement",
    "Review",
    "WorkItem",
]


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
    status: Status
    status_text: str
    queue: Queue
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


class Accept(Body, frozen=True):
    deferred_due: date | None = None  # when deferred (容缺) materials are due; default 10 days


class RequestSupplement(Body, frozen=True):
    missing: tuple[str, ...]
    note: str = ""


class RevealView(Dto, frozen=True):
    """One view of an applicant's personal data (个人信息查看留痕)."""

    at: datetime
    staff_name: str
    role: StaffRole
    department: str | None
    fields: tuple[str, ...]
    reason: str

    @classmethod
    def of(cls, reveal: Any) -> RevealView:
        """From a ``backend.audit.reveals.Reveal``."""
        return cls(
            at=reveal.at,
            staff_name=reveal.staff_name,
            role=reveal.role,
            department=reveal.department,
            fields=tuple(reveal.fields),
            reason=reveal.reason,
        )
