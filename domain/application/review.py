"""The department's part of an application: accept, ask once for what is missing, review,
pause, watch the clock, issue the result."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import msgspec

from domain.application.access import CaseAccess
from domain.application.citizen import awaits_materials
from domain.application.status import ACTIVE, DECIDED, IN_REVIEW
from domain.application.submission import check_material_refs
from domain.application.values import check_text
from domain.errors import InvalidState, ValidationFailed
from domain.personal import seal

if TYPE_CHECKING:
    from domain.actors import Actor
    from domain.application.values import Delivery, MaterialRef
    from domain.calendar import WorkingCalendar

__all__ = ["DEFER_WORKING_DAYS", "Review"]

DEFER_WORKING_DAYS = 10  # default time to hand in a deferred (容缺) material


def iso(day: date | None) -> str | None:
    """A date as events keep it."""
    return day.isoformat() if day else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class Review(CaseAccess):
    """Acceptance, supplements, review, suspension, the clock and the result."""

    if TYPE_CHECKING:  # the events these commands record (defined on ``Application``)
        Accepted: ClassVar[Any]
        SupplementRequested: ClassVar[Any]
        SupplementProvided: ClassVar[Any]
        SupplementCompleted: ClassVar[Any]
        DeferredMaterialsProvided: ClassVar[Any]
        DeferredMaterialOverdue: ClassVar[Any]
        Rejected: ClassVar[Any]
        Reviewed: ClassVar[Any]
        StageCompleted: ClassVar[Any]
        Approved: ClassVar[Any]
        Denied: ClassVar[Any]
        Suspended: ClassVar[Any]
        Resumed: ClassVar[Any]
        DeadlineWarning: ClassVar[Any]
        ResultIssued: ClassVar[Any]
        ResultCollected: ClassVar[Any]

        @property
        def delivery(self) -> Delivery: ...

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
            note=seal(self.citizen_id, note),
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
        if not awaits_materials(self):
            raise InvalidState("no materials are requested from you now")
        if self.status == "supplement_requested":
            self._provide_supplement(actor, ids, records, calendar, at)
        elif ids <= set(self.deferred):
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
                deadline=iso(deadline),
                legal_deadline=iso(legal),
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
            deadline=iso(calendar.add_working_days(today, days))
            if days is not None
            else self.deadline,
            legal_deadline=iso(calendar.add_working_days(today, legal_days))
            if legal_days is not None
            else self.legal_deadline,
        )

    def watch_deadline(self, *, today: date, calendar: WorkingCalendar, at: datetime) -> None:
        """Record a yellow warning one working day before the deadline and a red card once
        overdue, once each; also flag deferred materials past their due date."""
        state = self.deadline_state(today, calendar)
        if state == "overdue" and "red" not in self.warnings:
            self.trigger_event(
                self.DeadlineWarning, timestamp=at, level="red", deadline=self.deadline
            )
        elif state == "due_soon" and "yellow" not in self.warnings:
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
