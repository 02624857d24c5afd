"""Citizens' applications in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from backend.http.dto import Body, Dto
from domain.application import Delivery, MaterialRef
from domain.application.citizen import CitizenAction
from domain.application.status import Status
from domain.catalog import DeliveryMethod
from projections.progress_values import (
    BookingStatus,
    DeliveryEventType,
    DeliveryProgress,
    PaymentProgress,
    TimelineType,
)

__all__ = [
    "ApplicationAppointment",
    "ApplicationProgress",
    "ApplicationSummary",
    "DeferredMaterialView",
    "DeliveryEventView",
    "DeliveryView",
    "Evaluation",
    "EvaluationView",
    "MaterialName",
    "PaymentView",
    "PreReviewMark",
    "Resubscribe",
    "SubmitApplication",
    "SubmittedApplication",
    "SubmittedMaterial",
    "Supplement",
    "Supplements",
    "TimelineEntry",
    "Withdraw",
]


class SubmitApplication(Body, frozen=True):
    """What a citizen submits."""

    service_code: str
    situation_id: str
    materials: tuple[MaterialRef, ...]
    delivery: Delivery
    form: dict[str, Any] = msgspec.field(default_factory=dict)
    # 代办: the principal's citizen id; the caller is their agent under an active authorisation
    on_behalf_of: UUID | None = None
    # 预审: the applicant's ready pre-review this submission comes from (it spares no rule)
    pre_review_id: UUID | None = None


class SubmittedApplication(Dto, frozen=True):
    id: str
    number: str
    status: Status
    position: int


class ApplicationSummary(Dto, frozen=True):
    id: str
    number: str
    service_name: str
    status: Status
    status_text: str
    updated_at: datetime


class TimelineEntry(Dto, frozen=True):
    """``type`` names the event behind the entry; ``text`` is what the citizen reads."""

    at: datetime
    type: TimelineType
    text: str


class MaterialName(Dto, frozen=True):
    material_id: str
    name: str


class Supplement(Dto, frozen=True):
    """一次性告知: what is missing (``missing``: the ids; ``missingMaterials``: with names)."""

    missing: tuple[str, ...]
    note: str
    missing_materials: tuple[MaterialName, ...] = ()


class SubmittedMaterial(Dto, frozen=True):
    """A material handed in: its uploaded files in page order, or the e-certificate."""

    material_id: str
    name: str
    file_ids: tuple[str, ...] = ()
    certificate_id: str | None = None


class Resubscribe(Dto, frozen=True):
    """The citizen's one-time subscriptions are used up: these templates (at most 3, for
    ``wx.requestSubscribeMessage``) would bring the next messages; ``text`` says so."""

    template_ids: tuple[str, ...]
    text: str


class PaymentView(Dto, frozen=True):
    amount: int
    status: PaymentProgress


class DeliveryEventView(Dto, frozen=True, omit_defaults=True):
    """A step of the courier delivery: ``waybillNo`` when dispatched, ``location`` of a scan,
    ``reason`` of a failure, ``signedBy`` when delivered."""

    at: datetime
    type: DeliveryEventType
    waybill_no: str | None = None
    location: str | None = None
    reason: str | None = None
    signed_by: str | None = None


class DeliveryView(Dto, frozen=True):
    method: DeliveryMethod
    status: DeliveryProgress
    company: str | None = None
    waybill_no: str | None = None
    events: tuple[DeliveryEventView, ...] = ()


class EvaluationView(Dto, frozen=True):
    rating: int


class DeferredMaterialView(Dto, frozen=True):
    """A material accepted as deferred (容缺), still to be handed in by ``due``."""

    material_id: str
    name: str
    due: date


class ApplicationAppointment(Dto, frozen=True):
    """The hall visit booked for this application, if any."""

    id: str
    hall_name: str
    start: datetime
    end: datetime
    status: BookingStatus
    hall_id: str | None = None
    slot_id: str | None = None
    hall_address: str = ""
    queue_number: str | None = None


class PreReviewMark(Dto, frozen=True):
    """预审: the ready pre-review the application was submitted from (``unchanged``: its body
    was the ready draft as it was)."""

    id: str
    number: str
    round: int
    unchanged: bool


class ApplicationProgress(Dto, frozen=True):
    id: str
    number: str
    service_code: str
    service_name: str
    status: Status
    status_text: str
    submitted_at: datetime
    timeline: tuple[TimelineEntry, ...]
    deadline: date | None = None
    supplement: Supplement | None = None
    payment: PaymentView | None = None
    delivery: DeliveryView | None = None
    evaluation: EvaluationView | None = None
    deferred_materials: tuple[DeferredMaterialView, ...] = ()
    appointment: ApplicationAppointment | None = None
    situation_id: str | None = None
    department: str | None = None  # the lead department (after a reassignment, the new one)
    materials: tuple[SubmittedMaterial, ...] = ()
    pickup_place: str | None = None  # where a result collected at the window is handed out
    # what the citizen may do now (the domain decides): withdraw, pay, supplement, evaluate,
    # book, cancelAppointment; ``actionsUntil``: when a time-limited one closes
    actions: tuple[CitizenAction, ...] = ()
    actions_until: dict[str, datetime] = msgspec.field(default_factory=dict)
    resubscribe: Resubscribe | None = None
    pre_review: PreReviewMark | None = None


class Withdraw(Body, frozen=True):
    reason: str = ""


class Supplements(Body, frozen=True):
    materials: tuple[MaterialRef, ...]


class Evaluation(Body, frozen=True):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: str = ""
