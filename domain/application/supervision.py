"""What supervisors (督办) do to a case: reassign, press, annotate, resend, force a transition."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from domain.application.access import CaseAccess
from domain.application.review import iso
from domain.application.status import ACTIVE, DECIDED, FORCEABLE, STATUS_NAMES
from domain.application.values import check_text
from domain.errors import Forbidden, InvalidState, ValidationFailed
from domain.personal import seal

if TYPE_CHECKING:
    from domain.actors import Actor
    from domain.calendar import WorkingCalendar

__all__ = ["Supervision"]


class Supervision(CaseAccess):
    """Supervision actions; each is an event of the case (全过程留痕)."""

    if TYPE_CHECKING:  # the events these commands record (defined on ``Application``)
        Reassigned: ClassVar[Any]
        Escalated: ClassVar[Any]
        NotificationsResent: ClassVar[Any]
        NoteAdded: ClassVar[Any]
        TransitionForced: ClassVar[Any]

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
            raise InvalidState(
                f"办件当前为“{STATUS_NAMES[self.status]}”，不能转办", code="cannot_reassign_now"
            )
        pending = self.pending_departments
        source = from_department or (pending[0] if len(pending) == 1 else None)
        if source is None or source not in pending:
            raise ValidationFailed(
                "请选择要替换的待办部门",
                {"fromDepartment": f"应为{'、'.join(pending)}之一"},
            )
        if not to_department.strip() or to_department in self.departments:
            raise ValidationFailed("请转给另一个部门", {"department": "须为另一个部门"})
        if not reason.strip():
            raise ValidationFailed("转办须写明原因", {"reason": "必填"})
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
        if self.closed:
            raise InvalidState(
                f"办件已“{STATUS_NAMES[self.status]}”，不能督办", code="cannot_escalate_now"
            )
        if not note.strip():
            raise ValidationFailed("督办须填写督办意见", {"note": "必填"})
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
            raise InvalidState("该办件没有发送失败的通知", code="nothing_to_resend")
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
            raise Forbidden("备注仅限工作人员填写")
        if not text.strip():
            raise ValidationFailed("备注内容不能为空", {"text": "必填"})
        check_text(text=text)
        self.trigger_event(
            self.NoteAdded, timestamp=at, actor=actor.as_record(), text=seal(self.citizen_id, text)
        )

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
                "不能调整到该状态", {"status": f"应为{'、'.join(sorted(FORCEABLE))}之一"}
            )
        if self.status in ("withdrawn", "completed"):
            raise InvalidState(
                f"办件已“{STATUS_NAMES[self.status]}”，不能调整状态", code="cannot_force_now"
            )
        if len(reason.strip()) < 5:
            raise ValidationFailed("请写明调整原因", {"reason": "至少5个字"})
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
            deadline=iso(deadline),
            legal_deadline=iso(legal),
            restarted=restarted,
        )
