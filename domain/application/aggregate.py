"""The application (办件): one event stream from submission to evaluation.

Public methods check a rule and raise a domain error; event classes only assign state, because
they run again on every replay. Time, ids, the actor and the working-day calendar always come in
as arguments.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from domain.actors import Actor
from domain.application.fulfilment import Fulfilment
from domain.application.personal_data import delivery_of, delivery_record, protect_plain_state
from domain.application.status import (
    ACTIVE,
    CLOSED,
    DECIDED,
    FINISHED,
    FORCEABLE,
    IN_REVIEW,
    Status,
)
from domain.application.submission import check_delivery, check_material_refs, check_submission
from domain.application.values import Delivery, MaterialRef, ServiceSnapshot, check_text
from domain.calendar import WorkingCalendar
from domain.catalog import ServiceDefinition
from domain.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from domain.personal import Personal

__all__ = ["DEFER_WORKING_DAYS", "EVALUATION_WINDOW", "Application"]

DEFER_WORKING_DAYS = 10  # default time to hand in a deferred (容缺) material
EVALUATION_WINDOW = timedelta(days=30)  # 好差评 is open this long after the case is finished


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class Application(Fulfilment, Aggregate):
    """One citizen's application for one service item."""

    # v2: the form and the courier address are personal data (see personal_data.py)
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        protect_plain_state(state, "delivery_record")

    # --- events -------------------------------------------------------------------------------

    class Submitted(Aggregate.Created):
        """The form and ``delivery["address"]`` are the applicant's ``Personal`` data."""

        class_version = 2

        number: str
        citizen_id: UUID
        service: dict[str, Any]
        situation_id: str
        form: Personal[dict[str, Any]]
        materials: list[dict[str, Any]]
        delivery: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            protect_plain_state(state, "delivery")

    class Accepted(Aggregate.Event):
        actor: dict[str, Any]
        deadline: str | None
        legal_deadline: str | None = None
        deferred: dict[str, str] | None = None  # material id -> due date

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "accepted"
            aggregate.deadline = self.deadline
            aggregate.legal_deadline = self.legal_deadline
            aggregate.deferred = dict(self.deferred or {})
            aggregate.accepted_on = self.timestamp.date().isoformat()

    class SupplementRequested(Aggregate.Event):
        """一次性告知: every missing material at once."""

        actor: dict[str, Any]
        missing: list[str]
        note: str
        round: int

        def apply(self, aggregate: Any) -> None:
            aggregate.resume_status = aggregate.status
            aggregate.status = "supplement_requested"
            aggregate.missing = list(self.missing)
            aggregate.supplement_rounds = self.round

    class SupplementProvided(Aggregate.Event):
        actor: dict[str, Any]
        materials: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            given = {m["materialId"] for m in self.materials}
            aggregate.missing = [m for m in aggregate.missing if m not in given]
            # deferred (容缺) materials may come in with the supplement: no longer outstanding
            aggregate.deferred = {k: v for k, v in aggregate.deferred.items() if k not in given}
            aggregate.materials = [
                m for m in aggregate.materials if m["materialId"] not in given
            ] + list(self.materials)

    class SupplementCompleted(Aggregate.Event):
        """All missing materials are in: the case goes on and the clock restarts."""

        deadline: str | None
        legal_deadline: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = aggregate.resume_status
            aggregate.resume_status = None
            aggregate.missing = []
            if self.deadline is not None:
                aggregate.deadline = self.deadline
                aggregate.legal_deadline = self.legal_deadline
                aggregate.warnings = []

    class DeferredMaterialsProvided(Aggregate.Event):
        actor: dict[str, Any]
        materials: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            for material in self.materials:
                aggregate.deferred.pop(material["materialId"], None)
            aggregate.materials = aggregate.materials + list(self.materials)

    class DeferredMaterialOverdue(Aggregate.Event):
        materials: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.deferred_overdue = sorted({*aggregate.deferred_overdue, *self.materials})

    class Rejected(Aggregate.Event):
        """不予受理."""

        actor: dict[str, Any]
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "rejected"
            aggregate.finished_at = self.timestamp

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
            aggregate.finished_at = self.timestamp

    class Suspended(Aggregate.Event):
        """The clock stops: expert review, hearing, on-site inspection."""

        actor: dict[str, Any]
        reason: str
        remaining_days: int | None
        remaining_legal_days: int | None

        def apply(self, aggregate: Any) -> None:
            aggregate.resume_status = aggregate.status
            aggregate.status = "suspended"
            aggregate.remaining = [self.remaining_days, self.remaining_legal_days]
            aggregate.suspended_by = self.actor.get("department")

    class Resumed(Aggregate.Event):
        actor: dict[str, Any]
        deadline: str | None
        legal_deadline: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = aggregate.resume_status
            aggregate.resume_status = None
            aggregate.deadline = self.deadline
            aggregate.legal_deadline = self.legal_deadline

    class DeadlineWarning(Aggregate.Event):
        """Yellow: one working day before the promised deadline. Red: overdue."""

        level: str
        deadline: str

        def apply(self, aggregate: Any) -> None:
            aggregate.warnings = [*aggregate.warnings, self.level]

    class ResultIssued(Aggregate.Event):
        actor: dict[str, Any]
        document_no: str
        method: str

        def apply(self, aggregate: Any) -> None:
            aggregate.document_no = self.document_no
            aggregate.status = "ready_for_pickup" if self.method == "pickup" else "result_issued"

    class ResultCollected(Aggregate.Event):
        """The citizen collected the result at the window."""

        actor: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "completed"
            aggregate.finished_at = self.timestamp

    class Withdrawn(Aggregate.Event):
        actor: dict[str, Any]
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "withdrawn"

    class Reassigned(Aggregate.Event):
        actor: dict[str, Any]
        from_department: str
        to_department: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            old, new = self.from_department, self.to_department
            if aggregate.lead == old:
                aggregate.lead = new
            aggregate.stages = [[new if d == old else d for d in s] for s in aggregate.stages]

    class Escalated(Aggregate.Event):
        """督办: a supervisor presses the departments the case waits for."""

        actor: dict[str, Any]
        note: str
        departments: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.escalations += 1

    class NotificationsResent(Aggregate.Event):
        """A supervisor sent failed notifications again."""

        actor: dict[str, Any]
        reason: str
        count: int

    class NoteAdded(Aggregate.Event):
        actor: dict[str, Any]
        text: str

    class TransitionForced(Aggregate.Event):
        """A supervisor moved a stuck case by hand, with a written reason.

        Forced into review from a status where the clock stood still, the clock runs again:
        ``deadline`` is then set (and ``restarted`` when it is a fresh clock, not a resumed one).
        """

        actor: dict[str, Any]
        from_status: str
        to_status: str
        reason: str
        deadline: str | None = None
        legal_deadline: str | None = None
        restarted: bool = False

        def apply(self, aggregate: Any) -> None:
            aggregate.status = self.to_status
            aggregate.resume_status = None
            aggregate.missing = []
            # reopened cases are not finished any more; finished ones are finished now
            aggregate.finished_at = self.timestamp if self.to_status in FINISHED else None
            if self.to_status in IN_REVIEW:
                # a department whose denial was overruled decides again
                aggregate.decisions = {
                    d: v for d, v in aggregate.decisions.items() if v == "approve"
                }
                if aggregate.accepted_on is None:
                    aggregate.accepted_on = self.timestamp.date().isoformat()
            if self.deadline is not None:
                aggregate.deadline = self.deadline
                aggregate.legal_deadline = self.legal_deadline
                if self.restarted:
                    aggregate.warnings = []

    class Evaluated(Aggregate.Event):
        """好差评: five levels, 5 = 非常满意 .. 1 = 非常不满意."""

        actor: dict[str, Any]
        rating: int
        comment: str

        def apply(self, aggregate: Any) -> None:
            aggregate.rating = self.rating

    # --- state --------------------------------------------------------------------------------

    def __init__(
        self,
        *,
        number: str,
        citizen_id: UUID,
        service: dict[str, Any],
        situation_id: str,
        form: Personal[dict[str, Any]],
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
        self.resume_status: Status | None = None
        self.lead: str = service["department"]
        self.stages: list[list[str]] = [list(s) for s in service["stages"]]
        self.stage = 0
        self.decisions: dict[str, str] = {}
        self.deadline: str | None = None
        self.legal_deadline: str | None = None
        self.accepted_on: str | None = None
        self.missing: list[str] = []
        self.supplement_rounds = 0
        self.deferred: dict[str, str] = {}
        self.deferred_overdue: list[str] = []
        self.remaining: list[int | None] = [None, None]
        self.suspended_by: str | None = None
        self.warnings: list[str] = []
        self.escalations = 0
        self.document_no: str | None = None
        self.finished_at: datetime | None = None
        self.rating: int | None = None
        self.paid_amount = 0
        self.refunded_amount = 0
        self.payment_problem: str | None = None
        self.delivery_failed = False

    @property
    def service(self) -> ServiceSnapshot:
        return msgspec.convert(self.service_record, ServiceSnapshot)

    @property
    def fee(self) -> int:
        """The fee in fen, as pinned at submission."""
        return self.service.fee

    @property
    def delivery(self) -> Delivery:
        """How the result goes out; the address is None once the applicant was forgotten."""
        return delivery_of(self.delivery_record)

    @property
    def paid_and_not_issued(self) -> bool:
        """The fee is paid (and not refunded) and the result is not issued yet."""
        return self.status == "approved" and self.paid_amount > self.refunded_amount

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department that acts on this application, lead first."""
        seen = [self.lead]
        for stage in self.stages:
            seen.extend(d for d in stage if d not in seen)
        return tuple(seen)

    @property
    def pending_departments(self) -> tuple[str, ...]:
        """Departments whose action the application waits for now."""
        if self.status in ("submitted", "approved", "ready_for_pickup"):
            return (self.lead,)
        if self.status in IN_REVIEW and self.stage < len(self.stages):
            return tuple(d for d in self.stages[self.stage] if d not in self.decisions)
        return ()

    # --- who may do what ----------------------------------------------------------------------

    def ensure_visible_to(self, actor: Actor) -> None:
        """Citizens see their own; staff their departments'; 404 otherwise, never 403."""
        if actor.role == "citizen":
            visible = str(self.citizen_id) == actor.id
        elif actor.oversees_all:
            visible = True
        else:
            visible = actor.department in self.departments
        if not visible:
            raise NotFound("application not found")

    def _ensure_lead(self, actor: Actor) -> None:
        self.ensure_visible_to(actor)
        if not actor.oversees_all and actor.department != self.lead:
            raise NotFound("application not found")

    def _ensure_acting_department(self, actor: Actor) -> None:
        """The lead department, or one the current stage waits for."""
        self.ensure_visible_to(actor)
        if actor.oversees_all or actor.department == self.lead:
            return
        if actor.department not in self.pending_departments:
            raise InvalidState("it is not this department's turn")

    @staticmethod
    def _ensure_supervisor(actor: Actor) -> None:
        if not actor.oversees_all:
            raise Forbidden("only supervisors and admins may do this")

    def _ensure_status(self, allowed: frozenset[str] | set[str], action: str) -> None:
        if self.status not in allowed:
            raise InvalidState(f"cannot {action} an application that is {self.status}")

    # --- the clock ----------------------------------------------------------------------------

    def _deadlines(self, calendar: WorkingCalendar, start: date) -> tuple[date, date]:
        service = self.service
        return (
            calendar.add_working_days(start, service.promised_days),
            calendar.add_working_days(start, service.legal_days),
        )

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
        pinned = check_submission(service, situation_id, materials)
        check_delivery(service, delivery)
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
            online=service.online,
            needs_appointment=service.needs_appointment,
            materials=pinned,
        )
        return cls._create(
            cls.Submitted,
            id=id,
            timestamp=at,
            number=number,
            citizen_id=citizen_id,
            service=msgspec.to_builtins(snapshot),
            situation_id=situation_id,
            form=Personal(citizen_id, form),
            materials=[msgspec.to_builtins(m) for m in materials],
            delivery=delivery_record(citizen_id, delivery),
        )

    def accept(
        self,
        *,
        actor: Actor,
        calendar: WorkingCalendar,
        at: datetime,
        deferred_due: date | None = None,
    ) -> None:
        """受理: the clock starts. Missing deferrable materials are deferred (容缺受理)."""
        self._ensure_lead(actor)
        self._ensure_status({"submitted"}, "accept")
        given = {m["materialId"] for m in self.materials}
        missing = [m for m in self.service.materials if m.required and m.id not in given]
        if any(not m.deferrable for m in missing):
            names = "、".join(m.name for m in missing if not m.deferrable)
            raise InvalidState(f"materials missing ({names}); request a supplement instead")
        today = at.date()
        due = deferred_due or calendar.add_working_days(today, DEFER_WORKING_DAYS)
        if missing and due <= today:
            raise ValidationFailed("the due date must be in the future", {"deferredDue": "past"})
        deadline, legal = self._deadlines(calendar, today)
        self.trigger_event(
            self.Accepted,
            timestamp=at,
            actor=actor.as_record(),
            deadline=deadline.isoformat(),
            legal_deadline=legal.isoformat(),
            deferred={m.id: due.isoformat() for m in missing},
        )

    def request_supplement(
        self, *, actor: Actor, missing: list[str], note: str, at: datetime
    ) -> None:
        """一次性告知: list every missing material at once; the citizen answers them all."""
        self._ensure_acting_department(actor)
        self._ensure_status({"submitted", *IN_REVIEW}, "request a supplement for")
        if not missing:
            raise ValidationFailed("list the missing materials", {"missing": "at least one"})
        unknown = [m for m in missing if self.service.material(m) is None]
        if unknown:
            raise ValidationFailed(
                "unknown materials", {"missing": f"not materials of this situation: {unknown}"}
            )
        check_text(note=note)
        self.trigger_event(
            self.SupplementRequested,
            timestamp=at,
            actor=actor.as_record(),
            missing=sorted(set(missing)),
            note=note,
            round=self.supplement_rounds + 1,
        )

    def provide_materials(
        self,
        *,
        actor: Actor,
        materials: tuple[MaterialRef, ...],
        calendar: WorkingCalendar,
        at: datetime,
    ) -> None:
        """The citizen answers a supplement request, or hands in deferred materials."""
        self.ensure_visible_to(actor)
        if actor.role != "citizen":
            raise InvalidState("only the applicant hands in materials")
        if not materials:
            raise ValidationFailed("no materials given", {"materials": "at least one"})
        known = {m.id: m for m in self.service.materials}
        errors = check_material_refs(known, materials)
        if errors:
            raise ValidationFailed("invalid materials", errors)
        ids = {m.material_id for m in materials}
        records = [msgspec.to_builtins(m) for m in materials]
        if self.status == "supplement_requested":
            self._provide_supplement(actor, ids, records, calendar, at)
        elif ids <= set(self.deferred) and self.status not in DECIDED:
            self.trigger_event(
                self.DeferredMaterialsProvided,
                timestamp=at,
                actor=actor.as_record(),
                materials=records,
            )
        else:
            raise InvalidState("no materials are requested from you now")

    def _provide_supplement(
        self,
        actor: Actor,
        ids: set[str],
        records: list[dict[str, Any]],
        calendar: WorkingCalendar,
        at: datetime,
    ) -> None:
        stray = ids - set(self.missing) - set(self.deferred)
        if stray:
            raise ValidationFailed(
                "these materials were not requested", {"materials": ", ".join(sorted(stray))}
            )
        self.trigger_event(
            self.SupplementProvided, timestamp=at, actor=actor.as_record(), materials=records
        )
        if not self.missing:
            restart = self.resume_status in ACTIVE
            deadline, legal = self._deadlines(calendar, at.date()) if restart else (None, None)
            self.trigger_event(
                self.SupplementCompleted,
                timestamp=at,
                deadline=_iso(deadline),
                legal_deadline=_iso(legal),
            )

    def reject(self, *, actor: Actor, reason: str, at: datetime) -> None:
        """不予受理, with a written reason; only before acceptance."""
        self._ensure_lead(actor)
        before_acceptance = self.status == "submitted" or (
            self.status == "supplement_requested" and self.resume_status == "submitted"
        )
        if not before_acceptance:
            raise InvalidState(f"cannot reject an application that is {self.status}")
        if not reason.strip():
            raise ValidationFailed("a rejection needs a written reason", {"reason": "required"})
        check_text(reason=reason)
        self.trigger_event(self.Rejected, timestamp=at, actor=actor.as_record(), reason=reason)

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
        self._ensure_status(IN_REVIEW, "review")
        if actor.oversees_all:
            if not department:
                raise ValidationFailed(
                    "say which department you decide for", {"department": "required"}
                )
        else:
            department = actor.department
        stage = self.stages[self.stage]
        if department not in stage:
            raise InvalidState("it is not this department's turn to review")
        if department in self.decisions:
            raise InvalidState("this department has already decided on this stage")
        if decision == "deny" and not opinion.strip():
            raise ValidationFailed("a denial needs a written reason", {"opinion": "required"})
        check_text(opinion=opinion)
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
            if self.stage >= len(self.stages):
                self.trigger_event(self.Approved, timestamp=at, fee=self.service.fee)

    def suspend(
        self, *, actor: Actor, reason: str, calendar: WorkingCalendar, at: datetime
    ) -> None:
        """Pause the clock (expert review, hearing, on-site inspection)."""
        self._ensure_acting_department(actor)
        self._ensure_status(ACTIVE, "suspend")
        if not reason.strip():
            raise ValidationFailed("a suspension needs a reason", {"reason": "required"})
        check_text(reason=reason)
        today = at.date()
        deadline, legal = _day(self.deadline), _day(self.legal_deadline)
        self.trigger_event(
            self.Suspended,
            timestamp=at,
            actor=actor.as_record(),
            reason=reason,
            remaining_days=calendar.working_days_between(today, deadline) if deadline else None,
            remaining_legal_days=calendar.working_days_between(today, legal) if legal else None,
        )

    def resume(self, *, actor: Actor, calendar: WorkingCalendar, at: datetime) -> None:
        """The clock runs again with the working days that were left when it stopped."""
        self.ensure_visible_to(actor)
        if not actor.oversees_all and actor.department not in (self.lead, self.suspended_by):
            raise InvalidState("only the department that suspended the case resumes it")
        self._ensure_status({"suspended"}, "resume")
        today = at.date()
        days, legal_days = self.remaining
        self.trigger_event(
            self.Resumed,
            timestamp=at,
            actor=actor.as_record(),
            deadline=_iso(calendar.add_working_days(today, days))
            if days is not None
            else self.deadline,
            legal_deadline=_iso(calendar.add_working_days(today, legal_days))
            if legal_days is not None
            else self.legal_deadline,
        )

    def watch_deadline(self, *, today: date, calendar: WorkingCalendar, at: datetime) -> None:
        """Record a yellow warning one working day before the deadline and a red card once
        overdue, once each; also flag deferred materials past their due date."""
        if self.status in ACTIVE and self.deadline:
            deadline = date.fromisoformat(self.deadline)
            if today > deadline and "red" not in self.warnings:
                self.trigger_event(
                    self.DeadlineWarning, timestamp=at, level="red", deadline=self.deadline
                )
            elif (
                today <= deadline
                and calendar.working_days_between(today, deadline) <= 1
                and "yellow" not in self.warnings
            ):
                self.trigger_event(
                    self.DeadlineWarning, timestamp=at, level="yellow", deadline=self.deadline
                )
        if self.status not in DECIDED:
            overdue = [
                material
                for material, due in self.deferred.items()
                if date.fromisoformat(due) < today and material not in self.deferred_overdue
            ]
            if overdue:
                self.trigger_event(
                    self.DeferredMaterialOverdue, timestamp=at, materials=sorted(overdue)
                )

    def issue_result(self, *, actor: Actor, document_no: str, at: datetime) -> None:
        """出证: the lead department issues the result document."""
        self._ensure_lead(actor)
        self._ensure_status({"approved"}, "issue the result of")
        if not document_no.strip():
            raise ValidationFailed("document number required", {"documentNo": "required"})
        check_text(documentNo=document_no)
        self.trigger_event(
            self.ResultIssued,
            timestamp=at,
            actor=actor.as_record(),
            document_no=document_no.strip(),
            method=self.delivery.method,
        )

    def hand_over(self, *, actor: Actor, at: datetime) -> None:
        """The citizen collected the result at the window: the case is completed."""
        self._ensure_lead(actor)
        self._ensure_status({"ready_for_pickup"}, "hand over the result of")
        self.trigger_event(self.ResultCollected, timestamp=at, actor=actor.as_record())

    def withdraw(self, *, actor: Actor, reason: str, at: datetime) -> None:
        """The citizen withdraws before a decision, or after paying the fee and before the
        result is issued (the command then refunds the fee in the same transaction)."""
        self.ensure_visible_to(actor)
        if actor.role != "citizen":
            raise InvalidState("only the applicant can withdraw an application")
        if self.status in DECIDED and not self.paid_and_not_issued:
            raise InvalidState(f"cannot withdraw an application that is {self.status}")
        check_text(reason=reason)
        self.trigger_event(self.Withdrawn, timestamp=at, actor=actor.as_record(), reason=reason)

    def reassign(
        self,
        *,
        actor: Actor,
        to_department: str,
        reason: str,
        at: datetime,
        from_department: str | None = None,
    ) -> None:
        """Move the waiting step from one department to another."""
        self._ensure_supervisor(actor)
        if self.status in DECIDED:
            raise InvalidState(f"cannot reassign an application that is {self.status}")
        pending = self.pending_departments
        source = from_department or (pending[0] if len(pending) == 1 else None)
        if source is None or source not in pending:
            raise ValidationFailed(
                "say which waiting department to replace",
                {"fromDepartment": f"one of {list(pending)}"},
            )
        if not to_department.strip() or to_department in self.departments:
            raise ValidationFailed(
                "reassign to another department", {"department": "must be a new department"}
            )
        if not reason.strip():
            raise ValidationFailed("a reassignment needs a reason", {"reason": "required"})
        check_text(department=to_department, reason=reason)
        self.trigger_event(
            self.Reassigned,
            timestamp=at,
            actor=actor.as_record(),
            from_department=source,
            to_department=to_department,
            reason=reason,
        )

    def escalate(self, *, actor: Actor, note: str, at: datetime) -> None:
        """督办: press the departments the case waits for (the lead one when none is waited for:
        it owns the case while the citizen, the payment or the courier is late)."""
        self._ensure_supervisor(actor)
        if self.status in CLOSED:
            raise InvalidState(f"cannot escalate an application that is {self.status}")
        if not note.strip():
            raise ValidationFailed("an escalation needs a note", {"note": "required"})
        check_text(note=note)
        self.trigger_event(
            self.Escalated,
            timestamp=at,
            actor=actor.as_record(),
            note=note,
            departments=list(self.pending_departments or (self.lead,)),
        )

    def resend_notifications(self, *, actor: Actor, reason: str, failed: int, at: datetime) -> None:
        """Send the citizen's failed notifications again (``failed`` of them)."""
        self._ensure_supervisor(actor)
        check_text(reason=reason)
        if failed <= 0:
            raise InvalidState("no notification of this application has failed")
        self.trigger_event(
            self.NotificationsResent,
            timestamp=at,
            actor=actor.as_record(),
            reason=reason,
            count=failed,
        )

    def add_note(self, *, actor: Actor, text: str, at: datetime) -> None:
        """An internal note on the case, kept in the history."""
        self.ensure_visible_to(actor)
        if actor.role == "citizen":
            raise Forbidden("notes are for staff")
        if not text.strip():
            raise ValidationFailed("empty note", {"text": "required"})
        check_text(text=text)
        self.trigger_event(self.NoteAdded, timestamp=at, actor=actor.as_record(), text=text)

    def force_transition(
        self,
        *,
        actor: Actor,
        to_status: str,
        reason: str,
        calendar: WorkingCalendar,
        at: datetime,
    ) -> None:
        """Move a stuck case by hand; only supervisors and admins, always with a reason.

        Into review from a status where the clock stood still, the clock runs again: with the
        working days that were left after a suspension, otherwise afresh from today."""
        self._ensure_supervisor(actor)
        if to_status not in FORCEABLE or to_status == self.status:
            raise ValidationFailed(
                "cannot force to that status", {"status": f"one of {sorted(FORCEABLE)}"}
            )
        if self.status in ("withdrawn", "completed"):
            raise InvalidState(f"the application is {self.status}")
        if len(reason.strip()) < 5:
            raise ValidationFailed("write down why", {"reason": "at least 5 characters"})
        check_text(reason=reason)
        deadline: date | None = None
        legal: date | None = None
        restarted = False
        if to_status in ACTIVE and self.status not in ACTIVE:
            today = at.date()
            days, legal_days = self.remaining
            if self.status == "suspended" and days is not None and legal_days is not None:
                deadline = calendar.add_working_days(today, days)
                legal = calendar.add_working_days(today, legal_days)
            else:
                deadline, legal = self._deadlines(calendar, today)
                restarted = True
        self.trigger_event(
            self.TransitionForced,
            timestamp=at,
            actor=actor.as_record(),
            from_status=self.status,
            to_status=to_status,
            reason=reason,
            deadline=_iso(deadline),
            legal_deadline=_iso(legal),
            restarted=restarted,
        )

    def evaluate(self, *, actor: Actor, rating: int, comment: str, at: datetime) -> None:
        """好差评: once, by the applicant, within the window after the case is finished."""
        self.ensure_visible_to(actor)
        if actor.role != "citizen":
            raise Forbidden("only the applicant evaluates")
        if self.status not in FINISHED or self.finished_at is None:
            raise InvalidState("the case can be evaluated once it is finished")
        if self.rating is not None:
            raise InvalidState("this application has already been evaluated")
        if at - self.finished_at > EVALUATION_WINDOW:
            raise InvalidState("the evaluation period has ended")
        if rating not in range(1, 6):
            raise ValidationFailed("rating is 1..5", {"rating": "1..5"})
        check_text(comment=comment)
        self.trigger_event(
            self.Evaluated, timestamp=at, actor=actor.as_record(), rating=rating, comment=comment
        )
