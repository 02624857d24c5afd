"""The application (办件): one event stream from submission to evaluation.

Public methods check a rule and raise a domain error; event classes only assign state, because
they run again on every replay. Time, ids, the actor and the working-day calendar always come in
as arguments.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from domain.application.citizen import EVALUATION_WINDOW, evaluation_until, may_withdraw
from domain.application.form import check_form
from domain.application.fulfilment import Fulfilment
from domain.application.personal_data import delivery_of, delivery_record, protect_plain_state
from domain.application.review import Review
from domain.application.status import FINISHED, IN_REVIEW, STATUS_NAMES
from domain.application.submission import check_delivery, check_submission
from domain.application.supervision import Supervision
from domain.application.values import (
    Delivery,
    MaterialRef,
    PinnedMaterial,
    ServiceSnapshot,
    check_text,
)
from domain.errors import Forbidden, InvalidState, ValidationFailed
from domain.personal import Personal, SealedText, seal

if TYPE_CHECKING:
    from domain.actors import Actor
    from domain.catalog import ServiceDefinition

__all__ = ["EVALUATION_WINDOW", "Agent", "Application"]


class Agent(msgspec.Struct, frozen=True):
    """Who submits for the applicant (代办): a citizen acting under an authorisation."""

    citizen_id: UUID
    authorisation_id: UUID
    name: str | None = None

    def record(self) -> dict[str, Any]:
        """As the ``Submitted`` event keeps it: the name sealed under the agent's own key."""
        name = Personal(self.citizen_id, self.name) if self.name else None
        return {"id": str(self.citizen_id), "role": "citizen", "name": name}


class Application(Review, Supervision, Fulfilment, Aggregate):
    """One citizen's application for one service item.

    The workflow state and what is derived from it live in ``CaseState`` (``state.py``); the
    commands are grouped by who uses them: ``Review`` (the departments), ``Supervision``
    (督办), ``Fulfilment`` (fee and courier). This class holds the events, submission and the
    applicant's own commands.
    """

    # v2: the form and the courier address are personal data (see personal_data.py)
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        protect_plain_state(state, "delivery_record")

    # --- events -------------------------------------------------------------------------------

    class Submitted(Aggregate.Created):
        """The form and ``delivery["address"]`` are the applicant's ``Personal`` data. An agent's
        submission (代办) names the agent (``submitted_by``; their name sealed under their own
        key) and the authorisation it was made under; the applicant is the principal."""

        class_version = 2

        number: str
        citizen_id: UUID
        service: dict[str, Any]
        situation_id: str
        form: Personal[dict[str, Any]]
        materials: list[dict[str, Any]]
        delivery: dict[str, Any]
        submitted_by: dict[str, Any] | None = None
        authorisation_id: str | None = None
        # 预审: the ready pre-review it was submitted from ({id, number, round, unchanged})
        pre_review: dict[str, Any] | None = None

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
        """一次性告知: every missing material at once (the note is sealed: it may quote the
        applicant)."""

        actor: dict[str, Any]
        missing: list[str]
        note: SealedText
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
        reason: SealedText  # the applicant's own words

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
        """A staff note; sealed under the applicant's key (notes quote people)."""

        actor: dict[str, Any]
        text: SealedText

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
        comment: SealedText  # the applicant's own words

        def apply(self, aggregate: Any) -> None:
            aggregate.rating = self.rating

    # --- state --------------------------------------------------------------------------------

    # who submitted for the applicant (代办), and under which authorisation; class defaults for
    # snapshots taken before agents existed
    submitted_by: dict[str, Any] | None = None
    authorisation_id: str | None = None
    pre_review: dict[str, Any] | None = None  # 预审: see ``Submitted.pre_review``

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
        submitted_by: dict[str, Any] | None = None,
        authorisation_id: str | None = None,
        pre_review: dict[str, Any] | None = None,
    ) -> None:
        self.number = number
        self.pre_review = pre_review
        self.citizen_id = citizen_id
        self.service_record = service
        self.situation_id = situation_id
        self.form = form
        self.delivery_record = delivery
        self.submitted_by = submitted_by
        self.authorisation_id = authorisation_id
        self.start_case(
            department=service["department"], stages=service["stages"], materials=materials
        )

    @property
    def fee(self) -> int:
        """The fee in fen, as pinned at submission."""
        return self.service.fee

    @property
    def delivery(self) -> Delivery:
        """How the result goes out; the address is None once the applicant was forgotten."""
        return delivery_of(self.delivery_record)

    # --- commands -----------------------------------------------------------------------------

    @staticmethod
    def check(
        *,
        service: ServiceDefinition,
        situation_id: str,
        form: dict[str, Any],
        materials: tuple[MaterialRef, ...],
        delivery: Delivery,
    ) -> tuple[PinnedMaterial, ...]:
        """Whether a submission may be made: form, materials and delivery against the item's
        guide (``ValidationFailed`` with every field at fault); the situation's pinned list."""
        errors: dict[str, str] = {}
        pinned: tuple[PinnedMaterial, ...] = ()
        try:
            check_form(service, form)
        except ValidationFailed as exc:
            errors |= exc.errors
        try:
            check_delivery(service, delivery)
        except ValidationFailed as exc:
            errors |= exc.errors
        try:
            pinned = check_submission(service, situation_id, materials)
        except ValidationFailed as exc:
            errors |= exc.errors
        if errors:  # every field at fault in one answer
            raise ValidationFailed("申请信息不完整或有误，请按提示修改", errors)
        return pinned

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
        agent: Agent | None = None,
        pre_review: dict[str, Any] | None = None,
    ) -> Application:
        """Submit an application; materials and delivery are checked against the item's guide.
        ``agent``: submitted by an agent for ``citizen_id`` (the caller checked that an active
        authorisation covers it). ``pre_review``: the ready pre-review (预审) it comes from,
        as ``PreReview.mark`` gives it; it spares no rule."""
        pinned = cls.check(
            service=service,
            situation_id=situation_id,
            form=form,
            materials=materials,
            delivery=delivery,
        )
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
            issues_certificate=service.issues_certificate,
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
            submitted_by=agent.record() if agent is not None else None,
            authorisation_id=str(agent.authorisation_id) if agent is not None else None,
            pre_review=pre_review,
        )

    @property
    def agent_id(self) -> str | None:
        """The agent who submitted for the applicant (代办), if one did."""
        return None if self.submitted_by is None else str(self.submitted_by["id"])

    @property
    def agent_name(self) -> str | None:
        """The agent's name as they gave it (None: none given, or forgotten)."""
        name = None if self.submitted_by is None else self.submitted_by.get("name")
        return name.value if isinstance(name, Personal) else name

    def withdraw(self, *, actor: Actor, reason: str, at: datetime) -> None:
        """The citizen withdraws before a decision, or after paying the fee and before the
        result is issued (the command then refunds the fee in the same transaction)."""
        self.ensure_visible_to(actor)
        if actor.role != "citizen":
            raise InvalidState("只有申请人本人可以撤回申请", code="not_applicant")
        if not may_withdraw(self):
            raise InvalidState(
                f"办件已“{STATUS_NAMES[self.status]}”，不能撤回", code="withdraw_not_allowed"
            )
        check_text(reason=reason)
        self.trigger_event(
            self.Withdrawn,
            timestamp=at,
            actor=actor.as_record(),
            reason=seal(self.citizen_id, reason),
        )

    def evaluate(self, *, actor: Actor, rating: int, comment: str, at: datetime) -> None:
        """好差评: once, by the applicant, within the window after the case is finished."""
        self.ensure_visible_to(actor)
        if actor.role != "citizen":
            raise Forbidden("只有申请人本人可以评价")
        if self.status not in FINISHED or self.finished_at is None:
            raise InvalidState("办件办结后才能评价", code="evaluation_too_early")
        if self.rating is not None:
            raise InvalidState("您已评价过该办件", code="already_evaluated")
        until = evaluation_until(self)
        if until is not None and at > until:
            raise InvalidState("已过评价期限（办结后30日内可以评价）", code="evaluation_closed")
        if rating not in range(1, 6):
            raise ValidationFailed("评价等级应为1至5", {"rating": "应为1至5的整数"})
        check_text(comment=comment)
        self.trigger_event(
            self.Evaluated,
            timestamp=at,
            actor=actor.as_record(),
            rating=rating,
            comment=seal(self.citizen_id, comment),
        )
