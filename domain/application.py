"""The application (办件): one event stream from submission to result.

Public methods check a rule and raise a domain error; event classes only assign state, because
they run again on every replay. Time, ids and the actor always come in as arguments.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from domain.actors import Actor
from domain.catalog import ServiceDefinition
from domain.errors import InvalidState, NotFound, ValidationFailed

__all__ = [
    "DECIDED",
    "Address",
    "Application",
    "Delivery",
    "MaterialRef",
    "ServiceSnapshot",
    "Status",
]

Status = Literal[
    "submitted",
    "supplement_requested",
    "rejected",
    "accepted",
    "under_review",
    "suspended",
    "approved",
    "denied",
    "awaiting_payment",
    "result_issued",
    "delivering",
    "ready_for_pickup",
    "completed",
    "withdrawn",
]
# Once one of these is reached the citizen can no longer withdraw.
DECIDED: frozenset[str] = frozenset(
    {
        "rejected",
        "approved",
        "denied",
        "awaiting_payment",
        "result_issued",
        "delivering",
        "ready_for_pickup",
        "completed",
        "withdrawn",
    }
)
_IN_REVIEW = ("accepted", "under_review")
_PHONE = re.compile(r"^1\d{10}$")


class _Camel(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    pass


class Address(_Camel, frozen=True):
    """Where a courier brings the result."""

    name: str
    phone: str
    province: str
    city: str
    district: str
    detail: str


class Delivery(_Camel, frozen=True):
    """How the citizen gets the result."""

    method: Literal["pickup", "courier"]
    address: Address | None = None


class MaterialRef(_Camel, frozen=True):
    """A material handed in: an uploaded file or an e-certificate the citizen holds."""

    material_id: str
    file_id: UUID | None = None
    certificate_id: str | None = None


class ServiceSnapshot(_Camel, frozen=True):
    """The part of the service item an application pins at submission."""

    code: str
    version: int
    name: str
    department: str
    stages: tuple[tuple[str, ...], ...]
    fee: int
    promised_days: int
    legal_days: int
    pickup_place: str = ""

    @property
    def departments(self) -> tuple[str, ...]:
        seen = [self.department]
        for stage in self.stages:
            seen.extend(d for d in stage if d not in seen)
        return tuple(seen)


def _check_materials(
    service: ServiceDefinition, situation_id: str, materials: tuple[MaterialRef, ...]
) -> None:
    situation = service.situation(situation_id)
    if situation is None:
        raise ValidationFailed("unknown situation", {"situationId": "not a situation of this item"})
    known = {m.id: m for m in situation.materials}
    errors: dict[str, str] = {}
    given: set[str] = set()
    for index, ref in enumerate(materials):
        field = f"materials[{index}]"
        material = known.get(ref.material_id)
        if material is None:
            errors[field] = f"unknown material {ref.material_id!r} for this situation"
        elif ref.material_id in given:
            errors[field] = f"material {ref.material_id!r} given twice"
        elif (ref.file_id is None) == (ref.certificate_id is None):
            errors[field] = "give exactly one of fileId or certificateId"
        elif ref.certificate_id is not None and material.certificate_type is None:
            errors[field] = f"{material.name} cannot be satisfied by an e-certificate"
        given.add(ref.material_id)
    for material in situation.materials:
        # deferrable (容缺) materials may follow after acceptance
        if material.required and not material.deferrable and material.id not in given:
            errors[f"materials.{material.id}"] = f"缺少必要材料：{material.name}"
    if errors:
        raise ValidationFailed("materials are incomplete or invalid", errors)


def _check_delivery(service: ServiceDefinition, delivery: Delivery) -> None:
    if delivery.method not in service.delivery_options:
        raise ValidationFailed(
            "delivery method not offered", {"delivery.method": "not offered for this item"}
        )
    if delivery.method == "courier":
        address = delivery.address
        if address is None:
            raise ValidationFailed("courier needs an address", {"delivery.address": "required"})
        blank = [f for f in address.__struct_fields__ if not str(getattr(address, f)).strip()]
        errors = {f"delivery.address.{f}": "required" for f in blank}
        if not _PHONE.fullmatch(address.phone):
            errors["delivery.address.phone"] = "expected an 11-digit mobile number"
        if errors:
            raise ValidationFailed("courier address is incomplete", errors)


class Application(Aggregate):
    """One citizen's application for one service item."""

    # --- events -------------------------------------------------------------------------------

    class Submitted(Aggregate.Created):
        number: str
        citizen_id: UUID
        service: dict[str, Any]
        situation_id: str
        form: dict[str, Any]
        materials: list[dict[str, Any]]
        delivery: dict[str, Any]

    class Accepted(Aggregate.Event):
        actor: dict[str, Any]
        deadline: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "accepted"
            aggregate.deadline = self.deadline

    class Reviewed(Aggregate.Event):
        """One department's decision on the current stage."""

        actor: dict[str, Any]
        department: str
        decision: str
        opinion: str

        def apply(self, aggregate: Any) -> None:
            aggregate.decisions[self.department] = self.decision
            if self.decision == "approve" and aggregate.status == "accepted":
                aggregate.status = "under_review"

    class StageCompleted(Aggregate.Event):
        stage: int

        def apply(self, aggregate: Any) -> None:
            aggregate.stage = self.stage + 1
            aggregate.decisions = {}

    class Approved(Aggregate.Event):
        fee: int

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "awaiting_payment" if self.fee > 0 else "approved"

    class Denied(Aggregate.Event):
        department: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "denied"

    class ResultIssued(Aggregate.Event):
        actor: dict[str, Any]
        document_no: str
        method: str

        def apply(self, aggregate: Any) -> None:
            aggregate.document_no = self.document_no
            aggregate.status = "ready_for_pickup" if self.method == "pickup" else "result_issued"

    class Withdrawn(Aggregate.Event):
        actor: dict[str, Any]
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "withdrawn"

    # --- state --------------------------------------------------------------------------------

    def __init__(
        self,
        *,
        number: str,
        citizen_id: UUID,
        service: dict[str, Any],
        situation_id: str,
        form: dict[str, Any],
        materials: list[dict[str, Any]],
        delivery: dict[str, Any],
    ) -> None:
        self.number = number
        self.citizen_id = citizen_id
        self.service_record = service
        self.situation_id = situation_id
        self.form = form
        self.materials = materials
        self.delivery_record = delivery
        self.status: Status = "submitted"
        self.stage = 0
        self.decisions: dict[str, str] = {}
        self.deadline: str | None = None
        self.document_no: str | None = None

    @property
    def service(self) -> ServiceSnapshot:
        return msgspec.convert(self.service_record, ServiceSnapshot)

    @property
    def delivery(self) -> Delivery:
        return msgspec.convert(self.delivery_record, Delivery)

    @property
    def pending_departments(self) -> tuple[str, ...]:
        """Departments whose action the application waits for now."""
        service = self.service
        if self.status == "submitted":
            return (service.department,)
        if self.status in _IN_REVIEW and self.stage < len(service.stages):
            return tuple(d for d in service.stages[self.stage] if d not in self.decisions)
        if self.status == "approved":
            return (service.department,)
        return ()

    # --- commands -----------------------------------------------------------------------------

    @classmethod
    def submit(
        cls,
        *,
        id: UUID,
        number: str,
        citizen_id: UUID,
        service: ServiceDefinition,
        service_version: int,
        situation_id: str,
        form: dict[str, Any],
        materials: tuple[MaterialRef, ...],
        delivery: Delivery,
        at: datetime,
    ) -> Application:
        """Submit an application; materials and delivery are checked against the item's guide."""
        _check_materials(service, situation_id, materials)
        _check_delivery(service, delivery)
        snapshot = ServiceSnapshot(
            code=service.code,
            version=service_version,
            name=service.name,
            department=service.department,
            stages=service.stages,
            fee=service.fee,
            promised_days=service.promised_days,
            legal_days=service.legal_days,
            pickup_place=service.pickup_place,
        )
        return cls._create(
            cls.Submitted,
            id=id,
            timestamp=at,
            number=number,
            citizen_id=citizen_id,
            service=msgspec.to_builtins(snapshot),
            situation_id=situation_id,
            form=form,
            materials=[msgspec.to_builtins(m) for m in materials],
            delivery=msgspec.to_builtins(delivery),
        )

    def ensure_visible_to(self, actor: Actor) -> None:
        """Citizens see their own; staff their departments'; 404 otherwise, never 403."""
        if actor.role == "citizen":
            visible = str(self.citizen_id) == actor.id
        elif actor.oversees_all:
            visible = True
        else:
            visible = actor.department in self.service.departments
        if not visible:
            raise NotFound("application not found")

    def _ensure_lead_department(self, actor: Actor) -> None:
        self.ensure_visible_to(actor)
        if not actor.oversees_all and actor.department != self.service.department:
            raise NotFound("application not found")

    def accept(self, *, actor: Actor, deadline: date | None, at: datetime) -> None:
        """受理: the lead department takes the application on; the clock starts."""
        self._ensure_lead_department(actor)
        if self.status != "submitted":
            raise InvalidState(f"cannot accept an application that is {self.status}")
        self.trigger_event(
            self.Accepted,
            timestamp=at,
            actor=actor.as_record(),
            deadline=deadline.isoformat() if deadline else None,
        )

    def review(
        self,
        *,
        actor: Actor,
        decision: Literal["approve", "deny"],
        opinion: str,
        at: datetime,
        department: str | None = None,
    ) -> None:
        """One department decides on the current stage; a stage completes when all approve."""
        self.ensure_visible_to(actor)
        if self.status not in _IN_REVIEW:
            raise InvalidState(f"cannot review an application that is {self.status}")
        department = department if actor.oversees_all and department else actor.department
        stage = self.service.stages[self.stage]
        if department not in stage:
            raise InvalidState("it is not this department's turn to review")
        if department in self.decisions:
            raise InvalidState("this department has already decided on this stage")
        if decision == "deny" and not opinion.strip():
            raise ValidationFailed("a denial needs a written reason", {"opinion": "required"})
        self.trigger_event(
            self.Reviewed,
            timestamp=at,
            actor=actor.as_record(),
            department=department,
            decision=decision,
            opinion=opinion,
        )
        if decision == "deny":
            self.trigger_event(self.Denied, timestamp=at, department=department, reason=opinion)
        elif not self.pending_departments:
            self.trigger_event(self.StageCompleted, timestamp=at, stage=self.stage)
            if self.stage >= len(self.service.stages):
                self.trigger_event(self.Approved, timestamp=at, fee=self.service.fee)

    def issue_result(self, *, actor: Actor, document_no: str, at: datetime) -> None:
        """出证: the lead department issues the result document."""
        self._ensure_lead_department(actor)
        if self.status != "approved":
            raise InvalidState(f"cannot issue the result of an application that is {self.status}")
        if not document_no.strip():
            raise ValidationFailed("document number required", {"documentNo": "required"})
        self.trigger_event(
            self.ResultIssued,
            timestamp=at,
            actor=actor.as_record(),
            document_no=document_no.strip(),
            method=self.delivery.method,
        )

    def withdraw(self, *, actor: Actor, reason: str, at: datetime) -> None:
        """The citizen withdraws before a decision."""
        self.ensure_visible_to(actor)
        if actor.role != "citizen":
            raise InvalidState("only the applicant can withdraw an application")
        if self.status in DECIDED:
            raise InvalidState(f"cannot withdraw an application that is {self.status}")
        self.trigger_event(self.Withdrawn, timestamp=at, actor=actor.as_record(), reason=reason)
