"""A consultation (咨询): one citizen's question about one service item, and its thread.

The item's department answers within two working days (three once it was forwarded to another
department); a follow-up on an answered thread opens a new reply period. Every text in it is
the citizen's words or words about them, sealed under their key like application comments.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application.values import check_text
from domain.consultation.rules import MAX_FILES, MAX_TEXT, reply_due
from domain.deadlines import DeadlineState, deadline_state
from domain.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from domain.personal import SealedText, seal

if TYPE_CHECKING:
    from collections.abc import Collection

    from domain.actors import Actor
    from domain.calendar import WorkingCalendar
    from domain.catalog import LegalBasis

__all__ = ["ANSWERERS", "Consultation", "ConsultationStatus"]

ConsultationStatus = Literal["open", "answered", "closed"]
# who answers and forwards for a department (supervisors and admins forward too)
ANSWERERS = frozenset({"clerk", "reviewer"})


def _check_message(field: str, text: str, file_ids: Collection[str] = ()) -> None:
    errors: dict[str, str] = {}
    if not text.strip():
        errors[field] = "必填"
    elif len(text) > MAX_TEXT:
        errors[field] = f"at most {MAX_TEXT} characters"
    if len(file_ids) > MAX_FILES:
        errors["fileIds"] = f"at most {MAX_FILES} files"
    if errors:
        raise ValidationFailed("留言为空或过长", errors)
    check_text(**{field: text})


class Consultation(Aggregate):
    """Asked, then Replied / Forwarded / FollowedUp any number of times, Closed and Rated."""

    # --- events -------------------------------------------------------------------------------

    class Asked(Aggregate.Created):
        number: str
        citizen_id: UUID
        service_code: str
        service_name: str
        department: str
        question: SealedText
        file_ids: list[str]
        reply_due: str

    class Replied(Aggregate.Event):
        actor: dict[str, Any]
        department: str
        text: SealedText  # sealed: a reply quotes the citizen's question
        legal_basis: dict[str, str] | None
        on_time: bool  # given by the reply deadline

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "answered"
            aggregate.reply_due = None
            aggregate.warnings = []
            aggregate.replies += 1

    class Forwarded(Aggregate.Event):
        actor: dict[str, Any]
        from_department: str
        to_department: str
        reason: SealedText
        reply_due: str

        def apply(self, aggregate: Any) -> None:
            aggregate.department = self.to_department
            aggregate.departments = sorted({*aggregate.departments, self.to_department})
            aggregate.reply_due = self.reply_due
            aggregate.forwarded = True
            aggregate.warnings = []

    class FollowedUp(Aggregate.Event):
        """The citizen writes again; on an answered thread a new reply period starts."""

        actor: dict[str, Any]
        text: SealedText
        file_ids: list[str]
        reply_due: str | None  # None: still open, the deadline stays

        def apply(self, aggregate: Any) -> None:
            if self.reply_due is not None:
                aggregate.status = "open"
                aggregate.reply_due = self.reply_due
                aggregate.period_start = self.timestamp.date().isoformat()
                aggregate.forwarded = False
                aggregate.warnings = []

    class DeadlineWarning(Aggregate.Event):
        """Yellow: at most one working day left for the reply. Red: late."""

        level: str
        reply_due: str

        def apply(self, aggregate: Any) -> None:
            aggregate.warnings = [*aggregate.warnings, self.level]

    class Closed(Aggregate.Event):
        actor: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "closed"
            aggregate.reply_due = None

    class Rated(Aggregate.Event):
        """Like 好差评: 5 非常满意 .. 1 非常不满意."""

        actor: dict[str, Any]
        rating: int

        def apply(self, aggregate: Any) -> None:
            aggregate.rating = self.rating

    # --- state --------------------------------------------------------------------------------

    def __init__(
        self,
        *,
        number: str,
        citizen_id: UUID,
        service_code: str,
        service_name: str,
        department: str,
        question: SealedText,
        file_ids: list[str],
        reply_due: str,
    ) -> None:
        self.number = number
        self.citizen_id = citizen_id
        self.service_code = service_code
        self.service_name = service_name
        self.department = department  # the department that holds the question now
        self.departments = [department]  # every department that held it
        self.status: ConsultationStatus = "open"
        self.reply_due: str | None = reply_due
        # the day the current reply period began: the question, or a follow-up after a reply
        self.period_start: str = self.created_on.date().isoformat()
        self.forwarded = False  # in the current reply period
        self.warnings: list[str] = []
        self.replies = 0
        self.rating: int | None = None

    # --- commands -----------------------------------------------------------------------------

    @staticmethod
    def check_question(question: str, file_ids: Collection[str]) -> None:
        """Whether a question may be asked (``ValidationFailed`` otherwise), before a number is
        drawn for it."""
        _check_message("question", question, file_ids)

    @classmethod
    def ask(
        cls,
        *,
        id: UUID,
        number: str,
        citizen_id: UUID,
        service_code: str,
        service_name: str,
        department: str,
        question: str,
        file_ids: Collection[str],
        calendar: WorkingCalendar,
        at: datetime,
    ) -> Consultation:
        """A citizen asks the item's department; the reply is due in two working days."""
        _check_message("question", question, file_ids)
        due = reply_due(at.date(), calendar, forwarded=False)
        return cls._create(
            cls.Asked,
            id=id,
            timestamp=at,
            number=number,
            citizen_id=citizen_id,
            service_code=service_code,
            service_name=service_name,
            department=department,
            question=seal(citizen_id, question.strip()),
            file_ids=list(file_ids),
            reply_due=due.isoformat(),
        )

    def ensure_visible_to(self, actor: Actor) -> None:
        """The asker, the department holding the question, supervisors and admins; 404 for
        everyone else (never reveal another citizen's question)."""
        if actor.role == "citizen":
            visible = actor.id == str(self.citizen_id)
        elif actor.oversees_all:
            visible = True
        else:
            visible = actor.department == self.department
        if not visible:
            raise NotFound("咨询不存在")

    def _ensure_asker(self, actor: Actor) -> None:
        self.ensure_visible_to(actor)
        if actor.role != "citizen":
            raise Forbidden("只有提问人本人可以执行此操作")

    def _ensure_not_closed(self) -> None:
        if self.status == "closed":
            raise InvalidState("该咨询已结束")

    def reply(
        self, *, actor: Actor, text: str, legal_basis: LegalBasis | None, at: datetime
    ) -> None:
        """The holding department answers, optionally citing the document it rests on."""
        self.ensure_visible_to(actor)
        if actor.role not in ANSWERERS or actor.department != self.department:
            raise Forbidden("应由当前承办部门答复")
        self._ensure_not_closed()
        _check_message("text", text)
        basis = None
        if legal_basis is not None:
            if not legal_basis.name.strip():
                raise ValidationFailed("请填写依据文件名称", {"legalBasis.name": "必填"})
            check_text(legalBasis=legal_basis.name + legal_basis.number)
            basis = {"name": legal_basis.name.strip(), "number": legal_basis.number.strip()}
        due = self.reply_due
        self.trigger_event(
            self.Replied,
            timestamp=at,
            actor=actor.as_record(),
            department=self.department,
            text=seal(self.citizen_id, text.strip()),
            legal_basis=basis,
            on_time=due is None or at.date() <= date.fromisoformat(due),
        )

    def forward(
        self,
        *,
        actor: Actor,
        department: str,
        reason: str,
        departments: Collection[str],
        calendar: WorkingCalendar,
        at: datetime,
    ) -> None:
        """转办: the question belongs to another department (one of ``departments``); the
        reply is then due three working days after the question instead of two."""
        self.ensure_visible_to(actor)
        if not actor.oversees_all and (
            actor.role not in ANSWERERS or actor.department != self.department
        ):
            raise Forbidden("应由当前承办部门转办")
        if self.status != "open":
            raise InvalidState("该咨询已答复或已结束，不能转办")
        if department == self.department:
            raise ValidationFailed("咨询已在该部门", {"department": "须为另一个部门"})
        if department not in departments:
            raise ValidationFailed("部门不存在", {"department": "不是部门"})
        if not reason.strip():
            raise ValidationFailed("请写明转办原因", {"reason": "必填"})
        check_text(reason=reason)
        start = date.fromisoformat(self.period_start)
        self.trigger_event(
            self.Forwarded,
            timestamp=at,
            actor=actor.as_record(),
            from_department=self.department,
            to_department=department,
            reason=seal(self.citizen_id, reason.strip()),
            reply_due=reply_due(start, calendar, forwarded=True).isoformat(),
        )

    def follow_up(
        self,
        *,
        actor: Actor,
        text: str,
        file_ids: Collection[str],
        calendar: WorkingCalendar,
        at: datetime,
    ) -> None:
        """The asker writes again. An answered thread is open again, with a new reply due in
        two working days; on an open one the deadline stays as it is."""
        self._ensure_asker(actor)
        self._ensure_not_closed()
        _check_message("text", text, file_ids)
        due = None
        if self.status == "answered":
            due = reply_due(at.date(), calendar, forwarded=False).isoformat()
        self.trigger_event(
            self.FollowedUp,
            timestamp=at,
            actor=actor.as_record(),
            text=seal(self.citizen_id, text.strip()),
            file_ids=list(file_ids),
            reply_due=due,
        )

    def close(self, *, actor: Actor, rating: int | None, at: datetime) -> None:
        """The asker closes the thread (answered or not), rating it at the same time if they
        like."""
        self._ensure_asker(actor)
        self._ensure_not_closed()
        if rating is not None and rating not in range(1, 6):
            raise ValidationFailed("评价等级应为1至5", {"rating": "应为1至5的整数"})
        self.trigger_event(self.Closed, timestamp=at, actor=actor.as_record())
        if rating is not None:
            self.trigger_event(self.Rated, timestamp=at, actor=actor.as_record(), rating=rating)

    def deadline_state(self, today: date, calendar: WorkingCalendar) -> DeadlineState | None:
        """Yellow and red of the reply clock (None: no reply is due)."""
        if self.status != "open" or self.reply_due is None:
            return None
        return deadline_state(date.fromisoformat(self.reply_due), today, calendar)

    def watch_deadline(self, *, today: date, calendar: WorkingCalendar, at: datetime) -> None:
        """Record a yellow warning and a red card once each per reply period."""
        state = self.deadline_state(today, calendar)
        due = self.reply_due
        if due is None:
            return
        if state == "overdue" and "red" not in self.warnings:
            self.trigger_event(self.DeadlineWarning, timestamp=at, level="red", reply_due=due)
        elif state == "due_soon" and "yellow" not in self.warnings:
            self.trigger_event(self.DeadlineWarning, timestamp=at, level="yellow", reply_due=due)
