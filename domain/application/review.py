"""The department's part of an application: accept, ask once for what is missing, review,
pause, watch the clock, issue the result."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import msgspec

from domain.application.access import CaseAccess
from domain.application.citizen import awaits_materials
from domain.application.status import ACTIVE, DECIDED, IN_REVIEW, STATUS_NAMES
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
        self._ensure_status({"submitted"}, "受理", "cannot_accept_now")
        given = {m["materialId"] for m in self.materials}
        missing = [m for m in self.service.materials if m.required and m.id not in given]
        if any(not m.deferrable for m in missing):
            names = "、".join(m.name for m in missing if not m.deferrable)
            raise InvalidState(f"缺少材料（{names}），请改为要求补正", code="materials_missing")
        today = at.date()
        due = deferred_due or calendar.add_working_days(today, DEFER_WORKING_DAYS)
        if missing and due <= today:
            raise ValidationFailed("容缺补交日期须晚于今天", {"deferredDue": "须晚于今天"})
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
        self._ensure_status({"submitted", *IN_REVIEW}, "要求补正", "cannot_request_supplement_now")
        if not missing:
            raise ValidationFailed("请列出需要补正的材料", {"missing": "至少一项"})
        unknown = [m for m in missing if self.service.material(m) is None]
        if unknown:
            raise ValidationFailed(
                "所列材料不属于本办件的情形",
                {"missing": f"不属于本情形的材料：{'、'.join(unknown)}"},
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
            raise InvalidState("只有申请人本人可以提交材料", code="not_applicant")
        if not materials:
            raise ValidationFailed("未提交任何材料", {"materials": "至少一项"})
        known = {m.id: m for m in self.service.materials}
        errors = check_material_refs(known, materials)
        if errors:
            raise ValidationFailed("材料有误，请按提示修改", errors)
        ids = {m.material_id for m in materials}
        records = [msgspec.to_builtins(m) for m in materials]
        if not awaits_materials(self):
            raise InvalidState("当前没有需要您补交的材料", code="no_materials_requested")
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
            raise InvalidState("当前没有需要您补交的材料", code="no_materials_requested")

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
                "这些材料不在补正清单内", {"materials": "、".join(sorted(stray))}
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
            raise InvalidState(
                f"办件当前为“{STATUS_NAMES[self.status]}”，不能作出不予受理决定",
                code="cannot_reject_now",
            )
        if not reason.strip():
            raise ValidationFailed("不予受理须写明理由", {"reason": "必填"})
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
        self._ensure_status(IN_REVIEW, "审查", "cannot_review_now")
        if actor.oversees_all:
            if not department:
                raise ValidationFailed("请选择代为审查的部门", {"department": "必填"})
        else:
            department = actor.department
        stage = self.stages[self.stage]
        if department not in stage:
            raise InvalidState("当前审查环节不由本部门审查", code="not_your_turn")
        if department in self.decisions:
            raise InvalidState("本部门已对该环节作出决定", code="already_reviewed")
        if decision == "deny" and not opinion.strip():
            raise ValidationFailed("审查不通过须写明理由", {"opinion": "必填"})
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
        self._ensure_status(ACTIVE, "暂停办理", "cannot_suspend_now")
        if not reason.strip():
            raise ValidationFailed("暂停办理须写明原因", {"reason": "必填"})
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
            raise InvalidState("只有暂停办理的部门可以恢复办理", code="not_suspending_department")
        self._ensure_status({"suspended"}, "恢复办理", "cannot_resume_now")
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
        self._ensure_status({"approved"}, "出具结果", "cannot_issue_now")
        if not document_no.strip():
            raise ValidationFailed("请填写结果文书文号", {"documentNo": "必填"})
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
        self._ensure_status({"ready_for_pickup"}, "交付结果", "cannot_hand_over_now")
        self.trigger_event(self.ResultCollected, timestamp=at, actor=actor.as_record())
