"""Pre-review (预审) in the domain: the one-working-day answer clock, one complete answer per
round (一次性告知, also across rounds), rounds counted on revision, who answers, and the
checks a formal submission referring to it must pass."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

import msgspec
import pytest

from backend.working_calendar.data import load_calendar
from domain.actors import Actor
from domain.application import Delivery, MaterialRef
from domain.calendar import CST, WorkingCalendar
from domain.catalog import ServiceDefinition
from domain.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from domain.personal import Personal
from domain.prereview import PreReview, answer_due, overdue_reason

WEEKDAYS = WorkingCalendar()  # weekends only: March 2026 has no holidays
AMR = "市市场监督管理局"
CITIZEN_ID = uuid.UUID("6a0c3c1e-0d44-4b1a-9d51-9a3e4c2f0011")
CITIZEN = Actor(id=str(CITIZEN_ID), role="citizen")
OTHER = Actor(id=str(uuid.uuid4()), role="citizen")
CLERK = Actor(id="amr-clerk", role="clerk", department=AMR)
REVIEWER = Actor(id="amr-reviewer", role="reviewer", department=AMR)
OTHER_CLERK = Actor(id="health-clerk", role="clerk", department="市卫生健康委员会")
SUPERVISOR = Actor(id="supervisor", role="supervisor")

SERVICE = msgspec.convert(
    {
        "code": "XK-00101-000",
        "name": "食品经营许可",
        "department": AMR,
        "kind": "许可",
        "legalDays": 20,
        "promisedDays": 10,
        "stages": [[AMR]],
        "deliveryOptions": ["pickup", "courier"],
        "situations": [
            {
                "id": "new",
                "name": "新办",
                "materials": [
                    {"id": "application-form", "name": "申请书"},
                    {"id": "floor-plan", "name": "平面布局图"},
                    {"id": "health-certificates", "name": "健康证明", "deferrable": True},
                    {"id": "power-of-attorney", "name": "授权委托书", "required": False},
                ],
            }
        ],
    },
    ServiceDefinition,
)
PICKUP = Delivery(method="pickup")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), CST)


def refs(*ids: str) -> tuple[MaterialRef, ...]:
    return tuple(MaterialRef(material_id=m, file_id=uuid.uuid4()) for m in ids)


def draft(day: str = "2026-03-02", calendar: WorkingCalendar = WEEKDAYS, **body: Any) -> PreReview:
    return PreReview.request(
        id=uuid.uuid4(),
        number="YS20260302-000001",
        citizen_id=CITIZEN_ID,
        service=SERVICE,
        situation_id=body.get("situation_id", "new"),
        form=body.get("form", {"shopName": "张记小吃"}),
        materials=body.get("materials", refs("application-form")),
        delivery=body.get("delivery", PICKUP),
        calendar=calendar,
        at=at(day),
    )


def revise(pre: PreReview, materials: tuple[MaterialRef, ...], day: str = "2026-03-04") -> None:
    pre.revise(
        actor=CITIZEN,
        service=SERVICE,
        situation_id="new",
        form={"shopName": "张记小吃"},
        materials=materials,
        delivery=PICKUP,
        calendar=WEEKDAYS,
        at=at(day),
    )


def test_the_answer_is_due_one_working_day_after_the_draft_across_a_weekend() -> None:
    assert draft("2026-03-02").due == "2026-03-03"  # Monday: Tuesday
    assert draft("2026-03-06").due == "2026-03-09"  # Friday: Monday
    assert draft("2026-03-07").due == "2026-03-09"  # Saturday: Monday


def test_the_answer_clock_skips_national_day() -> None:
    calendar = load_calendar()
    # 2026: 1-7 October off; sent on Wednesday 30 September, answered by Thursday 8 October
    assert answer_due(date(2026, 9, 30), calendar) == date(2026, 10, 8)
    assert draft("2026-09-30", calendar).due == "2026-10-08"


def test_a_pending_pre_review_is_overdue_the_working_day_after_its_due_day() -> None:
    pre = draft("2026-03-02")
    assert pre.deadline_state(date(2026, 3, 3), WEEKDAYS) == "due_soon"
    assert overdue_reason(date(2026, 3, 3), date(2026, 3, 3), WEEKDAYS) is None
    assert pre.deadline_state(date(2026, 3, 4), WEEKDAYS) == "overdue"
    words = overdue_reason(date(2026, 3, 3), date(2026, 3, 5), WEEKDAYS)
    assert words == "预审已超过答复期限2026-03-03，逾期2个工作日未答复"


def test_a_late_answer_is_recorded_as_late() -> None:
    pre = draft("2026-03-02")
    pre.answer(actor=CLERK, ready=True, missing=(), note="", at=at("2026-03-04"))
    answered = pre.collect_events()[-1]
    assert isinstance(answered, PreReview.Answered)
    assert answered.on_time is False


def test_needs_changes_lists_every_missing_material_at_once() -> None:
    pre = draft()
    pre.answer(
        actor=CLERK,
        ready=False,
        missing=["floor-plan", "health-certificates", "floor-plan"],
        note="平面图需标明操作流程",
        at=at("2026-03-02", 15),
    )
    assert pre.status == "needs_changes"
    assert pre.missing == ["floor-plan", "health-certificates"]  # once each, in order
    assert pre.due is None


def test_a_round_is_answered_once_only() -> None:
    pre = draft()
    pre.answer(actor=CLERK, ready=False, missing=["floor-plan"], note="", at=at("2026-03-02"))
    with pytest.raises(InvalidState) as refused:
        pre.answer(
            actor=CLERK, ready=False, missing=["health-certificates"], note="", at=at("2026-03-02")
        )
    assert refused.value.code == "pre_review_answered"
    with pytest.raises(InvalidState):
        pre.answer(actor=CLERK, ready=True, missing=(), note="", at=at("2026-03-02"))


def test_needs_changes_without_a_list_or_a_note_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        draft().answer(actor=CLERK, ready=False, missing=(), note=" ", at=at("2026-03-02"))
    assert set(refused.value.errors) == {"missing", "note"}


def test_ready_with_missing_materials_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        draft().answer(
            actor=CLERK, ready=True, missing=["floor-plan"], note="", at=at("2026-03-02")
        )


def test_only_the_situations_materials_may_be_listed() -> None:
    with pytest.raises(ValidationFailed) as refused:
        draft().answer(actor=CLERK, ready=False, missing=["passport"], note="", at=at("2026-03-02"))
    assert "missing[0]" in refused.value.errors


def test_only_a_clerk_of_the_lead_department_answers() -> None:
    pre = draft()
    with pytest.raises(Forbidden):
        pre.answer(actor=REVIEWER, ready=True, missing=(), note="", at=at("2026-03-02"))
    with pytest.raises(Forbidden):
        pre.answer(actor=SUPERVISOR, ready=True, missing=(), note="", at=at("2026-03-02"))
    with pytest.raises(NotFound):  # another department does not even see it
        pre.answer(actor=OTHER_CLERK, ready=True, missing=(), note="", at=at("2026-03-02"))


def test_a_revision_is_the_next_round_with_its_own_deadline() -> None:
    pre = draft("2026-03-02")
    pre.answer(actor=CLERK, ready=False, missing=["floor-plan"], note="", at=at("2026-03-02"))
    revise(pre, refs("application-form", "floor-plan"), day="2026-03-06")  # Friday
    assert pre.round == 2
    assert pre.status == "pending"
    assert pre.due == "2026-03-09"
    pre.answer(actor=CLERK, ready=True, missing=(), note="", at=at("2026-03-09"))
    assert pre.status == "ready"
    revise(pre, refs("application-form", "floor-plan", "health-certificates"))
    assert pre.round == 3


def test_a_draft_cannot_be_revised_while_its_round_waits_for_the_answer() -> None:
    pre = draft()
    with pytest.raises(InvalidState) as refused:
        revise(pre, refs("application-form", "floor-plan"))
    assert refused.value.code == "pre_review_pending"


def test_a_later_round_may_not_raise_what_was_neither_told_nor_changed() -> None:
    first = refs("application-form", "floor-plan")
    pre = draft(materials=first)
    pre.answer(
        actor=CLERK, ready=False, missing=["health-certificates"], note="", at=at("2026-03-02")
    )
    revise(pre, (*first, *refs("health-certificates")))  # the same scans, and the one asked for
    # the floor plan was there in round one and was not told: raising it now is a second notice
    with pytest.raises(ValidationFailed) as refused:
        pre.answer(actor=CLERK, ready=False, missing=["floor-plan"], note="", at=at("2026-03-04"))
    assert refused.value.code == "pre_review_not_told_before"
    assert "missing.floor-plan" in refused.value.errors
    # an optional material never given was not told either
    with pytest.raises(ValidationFailed):
        pre.answer(
            actor=CLERK, ready=False, missing=["power-of-attorney"], note="", at=at("2026-03-04")
        )


def test_a_later_round_may_raise_what_was_told_changed_or_required_and_absent() -> None:
    pre = draft(materials=refs("application-form", "power-of-attorney"))
    pre.answer(
        actor=CLERK, ready=False, missing=["health-certificates"], note="", at=at("2026-03-02")
    )
    # round two: the application form is a new scan, the floor plan (required) still absent
    revise(pre, refs("application-form", "health-certificates"))
    pre.answer(
        actor=CLERK,
        ready=False,
        missing=["health-certificates", "application-form", "floor-plan"],
        note="",
        at=at("2026-03-04"),
    )
    assert pre.missing == ["health-certificates", "application-form", "floor-plan"]


def test_the_draft_must_name_materials_of_its_situation() -> None:
    with pytest.raises(ValidationFailed):
        draft(situation_id="renewal")
    with pytest.raises(ValidationFailed) as refused:
        draft(materials=refs("passport"))
    assert "materials[0]" in refused.value.errors


def test_the_form_the_address_and_the_note_are_sealed_under_the_citizens_key() -> None:
    address = {
        "name": "张三",
        "phone": "13800138000",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "detail": "文三路100号",
    }
    pre = draft(delivery=msgspec.convert({"method": "courier", "address": address}, Delivery))
    pre.answer(
        actor=CLERK, ready=False, missing=(), note="店名与营业执照不一致", at=at("2026-03-02")
    )
    requested, answered = pre.collect_events()
    assert isinstance(requested, PreReview.Requested)
    assert isinstance(answered, PreReview.Answered)
    assert isinstance(requested.form, Personal)
    assert requested.form.owner == CITIZEN_ID
    assert isinstance(requested.delivery["address"], Personal)
    assert isinstance(answered.note, Personal)


def test_a_submission_may_use_only_its_own_ready_pre_review_of_the_same_item_once() -> None:
    pre = draft()
    app_id = uuid.uuid4()

    def use(citizen: uuid.UUID = CITIZEN_ID, code: str = SERVICE.code) -> dict[str, Any]:
        return pre.use(
            citizen_id=citizen,
            service_code=code,
            application_id=app_id,
            application_number="20260302-XK00101-000001",
            unchanged=True,
            at=at("2026-03-03"),
        )

    with pytest.raises(InvalidState) as pending:
        use()
    assert pending.value.code == "pre_review_not_ready"
    pre.answer(actor=CLERK, ready=True, missing=(), note="", at=at("2026-03-02"))
    with pytest.raises(NotFound) as other_citizen:
        use(citizen=uuid.UUID(OTHER.id))
    assert other_citizen.value.code == "pre_review_not_found"
    with pytest.raises(ValidationFailed) as other_service:
        use(code="XK-00102-000")
    assert other_service.value.code == "pre_review_other_service"
    mark = use()
    assert mark == {"id": str(pre.id), "number": pre.number, "round": 1, "unchanged": True}
    with pytest.raises(InvalidState) as twice:
        use()
    assert twice.value.code == "pre_review_used"


def test_an_unchanged_submission_matches_the_ready_draft_in_any_material_order() -> None:
    materials = refs("application-form", "floor-plan")
    pre = draft(materials=materials)
    same = {"situation_id": "new", "form": {"shopName": "张记小吃"}, "delivery": PICKUP}
    assert pre.matches(materials=materials[::-1], **same)
    assert not pre.matches(materials=materials[:1], **same)
    assert not pre.matches(materials=materials, **{**same, "form": {"shopName": "李记"}})
