"""A pre-review (预审): one citizen's draft application for one service item, checked by a
clerk of the item's lead department before the formal submission.

The clerk answers each round once: "ready", or one complete list of what is missing or wrong
(一次性告知). The citizen corrects the draft and sends it again (a new round, counted); a later
round may not raise a material that was neither told before nor changed since, unless the
guide requires it and the draft lacks it. A ready pre-review may stand behind one formal
submission, which still passes every rule and is marked as pre-reviewed. The draft's form and
courier address are the citizen's personal data, sealed under their key like an application's;
the clerk's note too (it may quote the draft).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from domain.application.personal_data import delivery_of, delivery_record
from domain.application.submission import check_material_refs
from domain.application.values import Delivery, MaterialRef, PinnedMaterial, check_text
from domain.deadlines import DeadlineState, deadline_state
from domain.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from domain.personal import Personal, SealedText, seal
from domain.prereview.rules import MAX_NOTE, answer_due

if TYPE_CHECKING:
    from collections.abc import Collection

    from domain.actors import Actor
    from domain.calendar import WorkingCalendar
    from domain.catalog import ServiceDefinition

__all__ = ["ANSWERERS", "PreReview", "PreReviewStatus"]

PreReviewStatus = Literal["pending", "ready", "needs_changes"]
# who answers a pre-review: the window clerks (窗口受理) of the lead department
ANSWERERS = frozenset({"clerk"})


def _checklist(service: ServiceDefinition, situation_id: str) -> list[dict[str, Any]]:
    """The situation's materials, as a pre-review pins them (``ValidationFailed`` for a
    situation the item does not have)."""
    situation = service.situation(situation_id)
    if situation is None:
        raise ValidationFailed("所选情形不属于该事项", {"situationId": "不是该事项的情形"})
    return [
        msgspec.to_builtins(
            PinnedMaterial(
                id=m.id,
                name=m.name,
                required=m.required,
                deferrable=m.deferrable,
                certificate_types=m.certificate_types,
            )
        )
        for m in situation.materials
    ]


def _check_draft(checklist: list[dict[str, Any]], materials: tuple[MaterialRef, ...]) -> None:
    """A draft may be incomplete (that is what the clerk tells), but what it names must exist."""
    known = {m["id"]: msgspec.convert(m, PinnedMaterial) for m in checklist}
    errors = check_material_refs(known, materials)
    if errors:
        raise ValidationFailed("材料引用有误，请按提示修改", errors)


def _refs(materials: tuple[MaterialRef, ...]) -> list[dict[str, Any]]:
    """The refs as JSON gives them back (lists, not tuples): comparable with stored ones."""
    records: list[dict[str, Any]] = msgspec.json.decode(msgspec.json.encode(materials))
    return records


def _by_material(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["materialId"]: r for r in records}


class PreReview(Aggregate):
    """Requested, then Answered and Revised in turn (one answer per round), then Used once by
    the formal submission it stands behind."""

    # --- events -------------------------------------------------------------------------------

    class Requested(Aggregate.Created):
        """The draft: the form and ``delivery["address"]`` are the citizen's ``Personal``
        data; ``checklist`` is the situation's material list as it was then."""

        number: str
        citizen_id: UUID
        service_code: str
        service_name: str
        department: str
        situation_id: str
        checklist: list[dict[str, Any]]
        form: Personal[dict[str, Any]]
        materials: list[dict[str, Any]]
        delivery: dict[str, Any]
        due: str

    class Answered(Aggregate.Event):
        """一次性告知: ready, or every missing or wrong material at once, with the note."""

        actor: dict[str, Any]
        round: int
        ready: bool
        missing: list[str]
        note: SealedText
        on_time: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "ready" if self.ready else "needs_changes"
            aggregate.due = None
            aggregate.missing = list(self.missing)
            aggregate.note = self.note
            aggregate.told = sorted({*aggregate.told, *self.missing})

    class Revised(Aggregate.Event):
        """The corrected draft, sent again: a new round with its own answer deadline."""

        actor: dict[str, Any]
        round: int
        situation_id: str
        checklist: list[dict[str, Any]]
        form: Personal[dict[str, Any]]
        materials: list[dict[str, Any]]
        delivery: dict[str, Any]
        due: str

        def apply(self, aggregate: Any) -> None:
            aggregate.previous_materials = aggregate.materials
            aggregate.round = self.round
            aggregate.status = "pending"
            aggregate.situation_id = self.situation_id
            aggregate.checklist = list(self.checklist)
            aggregate.form = self.form
            aggregate.materials = list(self.materials)
            aggregate.delivery_record = self.delivery
            aggregate.due = self.due

    class Used(Aggregate.Event):
        """The formal submission this ready pre-review stands behind; ``unchanged``: its body
        is the ready draft as it was."""

        application_id: str
        application_number: str
        unchanged: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.application_id = self.application_id

    # --- state --------------------------------------------------------------------------------

    def __init__(
        self,
        *,
        number: str,
        citizen_id: UUID,
        service_code: str,
        service_name: str,
        department: str,
        situation_id: str,
        checklist: list[dict[str, Any]],
        form: Personal[dict[str, Any]],
        materials: list[dict[str, Any]],
        delivery: dict[str, Any],
        due: str,
    ) -> None:
        self.number = number
        self.citizen_id = citizen_id
        self.service_code = service_code
        self.service_name = service_name
        self.department = department  # the item's lead department: it answers
        self.situation_id = situation_id
        self.checklist = checklist
        self.form = form
        self.materials = materials
        self.delivery_record = delivery
        self.due: str | None = due
        self.status: PreReviewStatus = "pending"
        self.round = 1
        self.missing: list[str] = []  # the last answer's list
        self.note: SealedText = ""
        self.told: list[str] = []  # every material any answer listed
        self.previous_materials: list[dict[str, Any]] = []  # the draft of the round before
        self.application_id: str | None = None

    @property
    def delivery(self) -> Delivery:
        """How the result would go out; the address is None once the citizen was forgotten."""
        return delivery_of(self.delivery_record)

    # --- commands -----------------------------------------------------------------------------

    @classmethod
    def request(
        cls,
        *,
        id: UUID,
        number: str,
        citizen_id: UUID,
        service: ServiceDefinition,
        situation_id: str,
        form: dict[str, Any],
        materials: tuple[MaterialRef, ...],
        delivery: Delivery,
        calendar: WorkingCalendar,
        at: datetime,
    ) -> PreReview:
        """A citizen sends a draft (the body of a submission) to the item's lead department;
        the answer is due within one working day."""
        checklist = cls.check_draft(service, situation_id, materials)
        return cls._create(
            cls.Requested,
            id=id,
            timestamp=at,
            number=number,
            citizen_id=citizen_id,
            service_code=service.code,
            service_name=service.name,
            department=service.department,
            situation_id=situation_id,
            checklist=checklist,
            form=Personal(citizen_id, form),
            materials=_refs(materials),
            delivery=delivery_record(citizen_id, delivery),
            due=answer_due(at.date(), calendar).isoformat(),
        )

    @staticmethod
    def check_draft(
        service: ServiceDefinition, situation_id: str, materials: tuple[MaterialRef, ...]
    ) -> list[dict[str, Any]]:
        """Whether a draft may be sent (``ValidationFailed`` otherwise): its situation is the
        item's and the materials it names are the situation's. Returns the pinned list."""
        checklist = _checklist(service, situation_id)
        _check_draft(checklist, materials)
        return checklist

    def ensure_visible_to(self, actor: Actor) -> None:
        """The citizen who sent it, the lead department, supervisors and admins; 404 for
        everyone else (never reveal another citizen's draft)."""
        if actor.role == "citizen":
            visible = actor.id == str(self.citizen_id)
        elif actor.oversees_all:
            visible = True
        else:
            visible = actor.department == self.department
        if not visible:
            raise NotFound("预审不存在", code="pre_review_not_found")

    def answer(
        self,
        *,
        actor: Actor,
        ready: bool,
        missing: Collection[str],
        note: str,
        at: datetime,
    ) -> None:
        """A clerk of the lead department answers this round, once: ready, or the complete
        list of missing or wrong materials (and/or a note on what else is wrong)."""
        self.ensure_visible_to(actor)
        if actor.role not in ANSWERERS or actor.department != self.department:
            raise Forbidden("应由牵头部门的窗口人员答复预审")
        if self.status != "pending":
            raise InvalidState(
                f"第{self.round}轮预审已答复（一次性告知），申请人修改后才能再次答复",
                code="pre_review_answered",
            )
        listed = list(dict.fromkeys(m.strip() for m in missing if m.strip()))
        note = note.strip()
        self._check_answer(ready, listed, note)
        due = self.due
        self.trigger_event(
            self.Answered,
            timestamp=at,
            actor=actor.as_record(),
            round=self.round,
            ready=ready,
            missing=listed,
            note=seal(self.citizen_id, note),
            on_time=due is None or at.date() <= date.fromisoformat(due),
        )

    def _check_answer(self, ready: bool, missing: list[str], note: str) -> None:
        if len(note) > MAX_NOTE:
            raise ValidationFailed("说明过长", {"note": f"最多{MAX_NOTE}个字"})
        check_text(note=note)
        if ready:
            if missing:
                raise ValidationFailed("通过预审时不能列出缺少的材料", {"missing": "通过时应为空"})
            return
        if not missing and not note:
            raise ValidationFailed(
                "请一次性列明全部缺少或有误的材料，或写明需要修改之处",
                {"missing": "列出材料或填写说明", "note": "列出材料或填写说明"},
            )
        names = {m["id"]: m for m in self.checklist}
        errors = {
            f"missing[{i}]": f"该情形没有材料“{m}”" for i, m in enumerate(missing) if m not in names
        }
        if errors:
            raise ValidationFailed("所列材料不属于该情形", errors)
        late = [m for m in missing if not self._may_raise(m, names[m])]
        if late:
            raise ValidationFailed(
                "一次性告知：上一轮未指出且申请人未改动的材料不能在本轮提出",
                {f"missing.{m}": f"{names[m]['name']}：上一轮未告知，且本轮未改动" for m in late},
                code="pre_review_not_told_before",
            )

    def _may_raise(self, material_id: str, pinned: dict[str, Any]) -> bool:
        """一次性告知 across rounds: in round one anything; later, only what an earlier answer
        told, what the citizen changed since the round before, or a material the guide
        requires (and may not be deferred) that the draft lacks."""
        if self.round == 1 or material_id in self.told:
            return True
        now, before = _by_material(self.materials), _by_material(self.previous_materials)
        if now.get(material_id) != before.get(material_id):
            return True
        required = pinned.get("required", True) and not pinned.get("deferrable", False)
        return required and material_id not in now

    def revise(
        self,
        *,
        actor: Actor,
        service: ServiceDefinition,
        situation_id: str,
        form: dict[str, Any],
        materials: tuple[MaterialRef, ...],
        delivery: Delivery,
        calendar: WorkingCalendar,
        at: datetime,
    ) -> None:
        """The citizen sends the corrected draft: round n+1, answered within one working day
        of it. Not while the current round waits for its answer, nor once submitted."""
        self.ensure_visible_to(actor)
        if actor.role != "citizen":
            raise Forbidden("只有申请人本人可以修改预审材料")
        if self.application_id is not None:
            raise InvalidState("该预审已用于正式提交，不能再修改", code="pre_review_used")
        if self.status == "pending":
            raise InvalidState("预审尚在审核中，请待答复后再修改", code="pre_review_pending")
        if service.code != self.service_code:
            raise ValidationFailed("预审的事项不能更改", {"serviceCode": "应与原预审相同"})
        checklist = self.check_draft(service, situation_id, materials)
        self.trigger_event(
            self.Revised,
            timestamp=at,
            actor=actor.as_record(),
            round=self.round + 1,
            situation_id=situation_id,
            checklist=checklist,
            form=Personal(self.citizen_id, form),
            materials=_refs(materials),
            delivery=delivery_record(self.citizen_id, delivery),
            due=answer_due(at.date(), calendar).isoformat(),
        )

    def matches(
        self,
        *,
        situation_id: str,
        form: dict[str, Any],
        materials: tuple[MaterialRef, ...],
        delivery: Delivery,
    ) -> bool:
        """Whether a submission's body is this pre-review's current draft, unchanged (same
        situation, form, materials in any order, delivery)."""
        return (
            situation_id == self.situation_id
            and form == self.form.value
            and _by_material(_refs(materials)) == _by_material(self.materials)
            and delivery == self.delivery
        )

    def ensure_usable(self, *, citizen_id: UUID, service_code: str) -> None:
        """Whether a formal submission of ``citizen_id`` for ``service_code`` may refer to this
        pre-review: the applicant's own, of the same item, ready, not used by another one."""
        if citizen_id != self.citizen_id:
            raise NotFound("预审不存在", code="pre_review_not_found")
        if service_code != self.service_code:
            raise ValidationFailed(
                "预审与申请的事项不同",
                {"preReviewId": f"该预审是“{self.service_name}”的预审"},
                code="pre_review_other_service",
            )
        if self.application_id is not None:
            raise InvalidState("该预审已用于提交另一件申请", code="pre_review_used")
        if self.status != "ready":
            words = "尚在审核中" if self.status == "pending" else "需要修改后再次预审"
            raise InvalidState(f"预审未通过（{words}），不能据此提交", code="pre_review_not_ready")

    def use(
        self,
        *,
        citizen_id: UUID,
        service_code: str,
        application_id: UUID,
        application_number: str,
        unchanged: bool,
        at: datetime,
    ) -> dict[str, Any]:
        """The formal submission ``application_id`` refers to this ready pre-review (see
        ``ensure_usable``); returns the mark the application keeps (``Submitted.pre_review``)."""
        self.ensure_usable(citizen_id=citizen_id, service_code=service_code)
        self.trigger_event(
            self.Used,
            timestamp=at,
            application_id=str(application_id),
            application_number=application_number,
            unchanged=unchanged,
        )
        return {
            "id": str(self.id),
            "number": self.number,
            "round": self.round,
            "unchanged": unchanged,
        }

    def deadline_state(self, today: date, calendar: WorkingCalendar) -> DeadlineState | None:
        """Yellow and red of the answer clock (None: no answer is due)."""
        if self.status != "pending" or self.due is None:
            return None
        return deadline_state(date.fromisoformat(self.due), today, calendar)
