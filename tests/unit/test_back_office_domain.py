"""Back-office rules of the application (办件) and of rectifications (整改), without a database:
supplements (一次性告知), deferred materials (容缺), rejection, suspension, supervision and
evaluation."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timedelta, timezone
from importlib.resources import files
from typing import Any

import pytest

from domain.actors import Actor, Role
from domain.application import (
    DEFER_WORKING_DAYS,
    EVALUATION_WINDOW,
    Application,
    Delivery,
    MaterialRef,
)
from domain.calendar import WorkingCalendar
from domain.catalog import ServiceDefinition, parse_definition
from domain.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from domain.numbering import application_number
from domain.rectification import STEPS, Rectification, rectification_id

CST = timezone(timedelta(hours=8))
CALENDAR = WorkingCalendar()  # weekends only: March 2026 has no holidays
FOOD = (
    "XK-00101-000"  # AMR -> (health || fire) -> AMR; 容缺: food-safety-rules, health-certificates
)
LEAD, HEALTH, FIRE = "市市场监督管理局", "市卫生健康委员会", "市消防救援支队"
HOUSING = "市住房和城乡建设局"
CITIZEN_ID = uuid.UUID("0b7a4d4e-8a55-4d0b-9d7e-6a1f4f0e0021")
CITIZEN = Actor(id=str(CITIZEN_ID), role="citizen")
SUPERVISOR = Actor(id="sup-1", role="supervisor", name="supervisor")
ADMIN = Actor(id="admin-1", role="admin")


def staff(department: str, role: Role = "reviewer") -> Actor:
    return Actor(id=f"{role}-{department}", role=role, department=department)


CLERK = staff(LEAD, "clerk")


def on(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), CST)


@pytest.fixture(scope="module")
def food() -> ServiceDefinition:
    raw: dict[str, Any] = json.loads(
        (files("backend") / "demo" / "catalog.json").read_text(encoding="utf-8")
    )
    return next(parse_definition(e) for e in raw["services"] if e["code"] == FOOD)


def ref(material_id: str) -> MaterialRef:
    return MaterialRef(material_id=material_id, file_id=uuid.uuid4())


def submitted(food: ServiceDefinition, *, deferrables: bool = True) -> Application:
    materials = [
        MaterialRef(material_id="business-licence", certificate_id="91330100MA0000000X"),
        ref("application-form"),
        ref("id-card"),
        ref("floor-plan"),
    ]
    if deferrables:
        materials += [ref("food-safety-rules"), ref("health-certificates")]
    return Application.submit(
        id=uuid.uuid4(),
        number=application_number(date(2026, 3, 2), FOOD, 1),
        citizen_id=CITIZEN_ID,
        service=food,
        service_version=1,
        situation_id="new",
        form={},
        materials=tuple(materials),
        delivery=Delivery(method="pickup"),
        at=on("2026-03-02", 9),
    )


def accepted(food: ServiceDefinition, *, deferrables: bool = True) -> Application:
    app = submitted(food, deferrables=deferrables)
    app.accept(actor=CLERK, calendar=CALENDAR, at=on("2026-03-02"))
    return app


def provide(app: Application, *ids: str, day: str = "2026-03-04") -> None:
    app.provide_materials(
        actor=CITIZEN, materials=tuple(ref(i) for i in ids), calendar=CALENDAR, at=on(day)
    )


def completed(food: ServiceDefinition, day: str = "2026-03-06") -> Application:
    app = accepted(food)
    while app.status in ("accepted", "under_review"):
        department = app.pending_departments[0]
        app.review(actor=staff(department), decision="approve", opinion="同意", at=on(day, 11))
    app.issue_result(actor=CLERK, document_no="JY1", at=on(day, 12))
    app.hand_over(actor=CLERK, at=on(day, 15))
    assert app.status == "completed"
    return app


# --- supplement (一次性告知) --------------------------------------------------------------------


def test_a_supplement_notice_must_list_at_least_one_material(food: ServiceDefinition) -> None:
    app = accepted(food)
    with pytest.raises(ValidationFailed) as info:
        app.request_supplement(actor=CLERK, missing=[], note="请补正", at=on("2026-03-03"))
    assert set(info.value.errors) == {"missing"}
    assert app.status == "accepted"


def test_a_supplement_notice_may_only_list_materials_of_the_situation(
    food: ServiceDefinition,
) -> None:
    app = accepted(food)
    with pytest.raises(ValidationFailed) as info:
        app.request_supplement(
            actor=CLERK, missing=["floor-plan", "marriage-proof"], note="", at=on("2026-03-03")
        )
    assert "marriage-proof" in info.value.errors["missing"]
    assert app.status == "accepted"


def test_a_supplement_notice_lists_everything_at_once_and_cannot_be_topped_up(
    food: ServiceDefinition,
) -> None:
    app = accepted(food)
    app.request_supplement(
        actor=CLERK,
        missing=["id-card", "floor-plan", "id-card"],
        note="平面图比例不清，身份证复印件模糊",
        at=on("2026-03-03"),
    )
    assert app.status == "supplement_requested"
    assert app.missing == ["floor-plan", "id-card"]
    # one complete notice: no second list while the first one is open
    with pytest.raises(InvalidState):
        app.request_supplement(
            actor=CLERK, missing=["application-form"], note="", at=on("2026-03-03", 11)
        )
    assert app.missing == ["floor-plan", "id-card"]


def test_only_the_department_whose_turn_it_is_may_request_a_supplement(
    food: ServiceDefinition,
) -> None:
    app = accepted(food)
    with pytest.raises(NotFound):  # its stage is not reached: not its case yet
        app.request_supplement(
            actor=staff(FIRE), missing=["floor-plan"], note="", at=on("2026-03-03")
        )
    with pytest.raises(NotFound):
        app.request_supplement(
            actor=staff(HOUSING), missing=["floor-plan"], note="", at=on("2026-03-03")
        )
    assert app.status == "accepted"


def test_a_partial_answer_keeps_the_application_waiting_for_the_rest(
    food: ServiceDefinition,
) -> None:
    app = accepted(food)
    app.request_supplement(
        actor=CLERK, missing=["id-card", "floor-plan"], note="", at=on("2026-03-03")
    )
    provide(app, "floor-plan")
    assert app.status == "supplement_requested"
    assert app.missing == ["id-card"]
    with pytest.raises(ValidationFailed):
        provide(app, "floor-plan")  # already in: not asked for any more
    provide(app, "id-card", day="2026-03-05")
    assert app.status == "accepted"
    assert app.missing == []


def test_materials_that_were_not_asked_for_are_refused(food: ServiceDefinition) -> None:
    app = accepted(food)
    app.request_supplement(actor=CLERK, missing=["id-card"], note="", at=on("2026-03-03"))
    with pytest.raises(ValidationFailed):
        provide(app, "id-card", "application-form")
    assert app.missing == ["id-card"]


def test_only_the_applicant_answers_a_supplement(food: ServiceDefinition) -> None:
    app = accepted(food)
    app.request_supplement(actor=CLERK, missing=["id-card"], note="", at=on("2026-03-03"))
    with pytest.raises(InvalidState):
        app.provide_materials(
            actor=CLERK, materials=(ref("id-card"),), calendar=CALENDAR, at=on("2026-03-04")
        )
    other = Actor(id=str(uuid.uuid4()), role="citizen")
    with pytest.raises(NotFound):
        app.provide_materials(
            actor=other, materials=(ref("id-card"),), calendar=CALENDAR, at=on("2026-03-04")
        )


def test_a_second_supplement_round_is_allowed_and_counted(food: ServiceDefinition) -> None:
    app = submitted(food)
    app.request_supplement(actor=CLERK, missing=["floor-plan"], note="", at=on("2026-03-02"))
    provide(app, "floor-plan", day="2026-03-03")
    app.accept(actor=CLERK, calendar=CALENDAR, at=on("2026-03-03", 11))
    app.request_supplement(
        actor=staff(LEAD), missing=["id-card"], note="证件已过期", at=on("2026-03-04")
    )
    assert app.supplement_rounds == 2
    events = [e for e in app.collect_events() if type(e).__name__ == "SupplementRequested"]
    assert [e.round for e in events] == [1, 2]


# --- deferred materials (容缺受理) ------------------------------------------------------------


def test_acceptance_defers_only_the_missing_deferrable_materials_with_a_due_date(
    food: ServiceDefinition,
) -> None:
    app = submitted(food, deferrables=False)
    app.accept(actor=CLERK, calendar=CALENDAR, at=on("2026-03-02"))
    due = CALENDAR.add_working_days(date(2026, 3, 2), DEFER_WORKING_DAYS).isoformat()
    # power-of-attorney is optional, not deferred
    assert app.deferred == {"food-safety-rules": due, "health-certificates": due}


def test_acceptance_takes_the_due_date_given_for_deferred_materials(
    food: ServiceDefinition,
) -> None:
    app = submitted(food, deferrables=False)
    app.accept(actor=CLERK, calendar=CALENDAR, at=on("2026-03-02"), deferred_due=date(2026, 3, 5))
    assert set(app.deferred.values()) == {"2026-03-05"}


@pytest.mark.parametrize("due", ["2026-03-01", "2026-03-02"], ids=["past", "today"])
def test_the_due_date_of_deferred_materials_must_be_in_the_future(
    food: ServiceDefinition, due: str
) -> None:
    app = submitted(food, deferrables=False)
    with pytest.raises(ValidationFailed):
        app.accept(
            actor=CLERK,
            calendar=CALENDAR,
            at=on("2026-03-02"),
            deferred_due=date.fromisoformat(due),
        )
    assert app.status == "submitted"


def test_deferred_materials_can_be_handed_in_after_acceptance(food: ServiceDefinition) -> None:
    app = submitted(food, deferrables=False)
    app.accept(actor=CLERK, calendar=CALENDAR, at=on("2026-03-02"))
    provide(app, "food-safety-rules")
    assert list(app.deferred) == ["health-certificates"]
    with pytest.raises(InvalidState):
        provide(app, "floor-plan")  # not deferred, not asked for
    assert app.status == "accepted"


def overdue_materials(app: Application) -> list[list[str]]:
    return [
        e.materials for e in app.collect_events() if type(e).__name__ == "DeferredMaterialOverdue"
    ]


def test_a_deferred_material_past_its_due_date_is_flagged_once(food: ServiceDefinition) -> None:
    app = submitted(food, deferrables=False)
    app.accept(actor=CLERK, calendar=CALENDAR, at=on("2026-03-02"), deferred_due=date(2026, 3, 5))
    app.collect_events()
    app.watch_deadline(today=date(2026, 3, 5), calendar=CALENDAR, at=on("2026-03-05"))
    assert app.collect_events() == []
    app.watch_deadline(today=date(2026, 3, 6), calendar=CALENDAR, at=on("2026-03-06"))
    flagged = overdue_materials(app)
    assert flagged == [["food-safety-rules", "health-certificates"]]
    assert app.deferred_overdue == ["food-safety-rules", "health-certificates"]
    app.watch_deadline(today=date(2026, 3, 7), calendar=CALENDAR, at=on("2026-03-07"))
    assert overdue_materials(app) == []


def test_deferred_materials_handed_in_with_a_supplement_are_no_longer_outstanding(
    food: ServiceDefinition,
) -> None:
    app = submitted(food, deferrables=False)
    app.accept(actor=CLERK, calendar=CALENDAR, at=on("2026-03-02"), deferred_due=date(2026, 3, 5))
    app.request_supplement(actor=CLERK, missing=["floor-plan"], note="", at=on("2026-03-03"))
    provide(app, "floor-plan", "food-safety-rules", "health-certificates")
    assert app.status == "accepted"
    assert app.deferred == {}
    app.collect_events()
    app.watch_deadline(today=date(2026, 3, 6), calendar=CALENDAR, at=on("2026-03-06"))
    assert overdue_materials(app) == []


# --- rejection (不予受理), denial, withdrawal ---------------------------------------------------


def test_rejection_needs_a_written_reason(food: ServiceDefinition) -> None:
    app = submitted(food)
    with pytest.raises(ValidationFailed):
        app.reject(actor=CLERK, reason="  ", at=on("2026-03-02"))
    app.reject(actor=CLERK, reason="不属于本部门受理范围", at=on("2026-03-02"))
    assert app.status == "rejected"
    assert app.finished_at == on("2026-03-02")


def test_rejection_is_possible_while_a_supplement_before_acceptance_is_open(
    food: ServiceDefinition,
) -> None:
    app = submitted(food)
    app.request_supplement(actor=CLERK, missing=["floor-plan"], note="", at=on("2026-03-02"))
    app.reject(actor=CLERK, reason="逾期未补正", at=on("2026-03-20"))
    assert app.status == "rejected"


def test_rejection_only_before_acceptance(food: ServiceDefinition) -> None:
    app = accepted(food)
    with pytest.raises(InvalidState):
        app.reject(actor=CLERK, reason="不符合条件", at=on("2026-03-03"))
    app.request_supplement(actor=CLERK, missing=["floor-plan"], note="", at=on("2026-03-03"))
    with pytest.raises(InvalidState):
        app.reject(actor=CLERK, reason="不符合条件", at=on("2026-03-03"))
    assert app.status == "supplement_requested"


def test_only_the_lead_department_rejects(food: ServiceDefinition) -> None:
    app = submitted(food)
    with pytest.raises(NotFound):
        app.reject(actor=staff(HEALTH, "clerk"), reason="不符合条件", at=on("2026-03-02"))


def test_the_citizen_can_withdraw_while_suspended_or_waiting_for_a_supplement(
    food: ServiceDefinition,
) -> None:
    app = accepted(food)
    app.suspend(actor=staff(LEAD), reason="现场核查", calendar=CALENDAR, at=on("2026-03-03"))
    app.withdraw(actor=CITIZEN, reason="不办了", at=on("2026-03-04"))
    assert app.status == "withdrawn"
    other = accepted(food)
    other.request_supplement(actor=CLERK, missing=["floor-plan"], note="", at=on("2026-03-03"))
    other.withdraw(actor=CITIZEN, reason="", at=on("2026-03-04"))
    assert other.status == "withdrawn"
    with pytest.raises(InvalidState):
        provide(other, "floor-plan")


# --- suspension -------------------------------------------------------------------------------


def test_suspension_needs_a_reason_and_a_running_clock(food: ServiceDefinition) -> None:
    app = submitted(food)
    with pytest.raises(InvalidState):
        app.suspend(actor=CLERK, reason="专家评审", calendar=CALENDAR, at=on("2026-03-02"))
    app.accept(actor=CLERK, calendar=CALENDAR, at=on("2026-03-02"))
    with pytest.raises(ValidationFailed):
        app.suspend(actor=CLERK, reason=" ", calendar=CALENDAR, at=on("2026-03-03"))
    app.suspend(actor=CLERK, reason="专家评审", calendar=CALENDAR, at=on("2026-03-03"))
    with pytest.raises(InvalidState):
        app.suspend(actor=CLERK, reason="again", calendar=CALENDAR, at=on("2026-03-04"))
    assert app.pending_departments == ()


def test_only_the_suspending_or_lead_department_or_a_supervisor_resumes(
    food: ServiceDefinition,
) -> None:
    app = accepted(food)
    app.review(actor=staff(LEAD), decision="approve", opinion="", at=on("2026-03-02", 11))
    app.suspend(actor=staff(FIRE), reason="消防现场检查", calendar=CALENDAR, at=on("2026-03-03"))
    with pytest.raises(InvalidState):
        app.resume(actor=staff(HEALTH), calendar=CALENDAR, at=on("2026-03-04"))
    with pytest.raises(NotFound):
        app.resume(actor=staff(HOUSING), calendar=CALENDAR, at=on("2026-03-04"))
    app.resume(actor=staff(FIRE), calendar=CALENDAR, at=on("2026-03-05"))
    assert app.status == "under_review"
    assert set(app.pending_departments) == {HEALTH, FIRE}
    with pytest.raises(InvalidState):
        app.resume(actor=SUPERVISOR, calendar=CALENDAR, at=on("2026-03-05"))


# --- supervision --------------------------------------------------------------------------------


def test_reassign_needs_a_supervisor_and_a_reason(food: ServiceDefinition) -> None:
    app = accepted(food)
    app.review(actor=staff(LEAD), decision="approve", opinion="", at=on("2026-03-02", 11))
    with pytest.raises(Forbidden):
        app.reassign(
            actor=staff(LEAD),
            to_department=HOUSING,
            from_department=FIRE,
            reason="x",
            at=on("2026-03-03"),
        )
    with pytest.raises(ValidationFailed):
        app.reassign(
            actor=SUPERVISOR,
            to_department=HOUSING,
            from_department=FIRE,
            reason=" ",
            at=on("2026-03-03"),
        )
    with pytest.raises(ValidationFailed):  # two departments wait: say which one
        app.reassign(actor=SUPERVISOR, to_department=HOUSING, reason="x", at=on("2026-03-03"))
    app.reassign(
        actor=SUPERVISOR,
        to_department=HOUSING,
        from_department=FIRE,
        reason="消防审查职能划转",
        at=on("2026-03-03"),
    )
    assert set(app.pending_departments) == {HEALTH, HOUSING}
    with pytest.raises(NotFound):
        app.ensure_visible_to(staff(FIRE))


def test_escalation_needs_a_supervisor_and_a_note(food: ServiceDefinition) -> None:
    app = accepted(food)
    with pytest.raises(Forbidden):
        app.escalate(actor=CLERK, note="请尽快办理", at=on("2026-03-05"))
    with pytest.raises(ValidationFailed):
        app.escalate(actor=SUPERVISOR, note="", at=on("2026-03-05"))
    app.escalate(actor=SUPERVISOR, note="请尽快办理", at=on("2026-03-05"))
    assert app.escalations == 1
    event = app.collect_events()[-1]
    assert event.departments == [LEAD]
    assert event.actor["role"] == "supervisor"


def test_a_supervisor_can_escalate_an_approved_case_waiting_for_its_result(
    food: ServiceDefinition,
) -> None:
    # an approved case sits in the lead department's issue queue and can go idle there
    app = accepted(food)
    while app.status in ("accepted", "under_review"):
        department = app.pending_departments[0]
        app.review(actor=staff(department), decision="approve", opinion="", at=on("2026-03-03"))
    assert app.status == "approved"
    app.escalate(actor=SUPERVISOR, note="已审批通过三天未出证", at=on("2026-03-09"))
    assert app.escalations == 1
    assert app.collect_events()[-1].departments == [LEAD]


def test_a_finished_case_cannot_be_escalated(food: ServiceDefinition) -> None:
    app = completed(food)
    with pytest.raises(InvalidState):
        app.escalate(actor=SUPERVISOR, note="督办", at=on("2026-03-09"))


def test_notes_are_for_staff_and_not_empty(food: ServiceDefinition) -> None:
    app = accepted(food)
    with pytest.raises(Forbidden):
        app.add_note(actor=CITIZEN, text="hello", at=on("2026-03-03"))
    with pytest.raises(ValidationFailed):
        app.add_note(actor=CLERK, text=" ", at=on("2026-03-03"))
    app.add_note(actor=CLERK, text="已电话联系申请人", at=on("2026-03-03"))


def test_forcing_a_transition_needs_a_supervisor_and_a_written_reason(
    food: ServiceDefinition,
) -> None:
    app = accepted(food)
    with pytest.raises(Forbidden):
        app.force_transition(
            actor=CLERK,
            to_status="approved",
            reason="领导同意",
            calendar=CALENDAR,
            at=on("2026-03-03"),
        )
    with pytest.raises(ValidationFailed):
        app.force_transition(
            actor=SUPERVISOR,
            to_status="approved",
            reason="ok",
            calendar=CALENDAR,
            at=on("2026-03-03"),
        )
    with pytest.raises(ValidationFailed):
        app.force_transition(
            actor=SUPERVISOR,
            to_status="withdrawn",
            reason="申请人电话撤回",
            calendar=CALENDAR,
            at=on("2026-03-03"),
        )
    app.force_transition(
        actor=ADMIN,
        to_status="approved",
        reason="系统故障，线下已审批通过",
        calendar=CALENDAR,
        at=on("2026-03-03"),
    )
    assert app.status == "approved"
    assert app.pending_departments == (LEAD,)


def test_a_case_forced_into_review_from_before_acceptance_gets_a_running_clock(
    food: ServiceDefinition,
) -> None:
    app = submitted(food)
    app.force_transition(
        actor=SUPERVISOR,
        to_status="accepted",
        reason="窗口已线下受理，补录",
        calendar=CALENDAR,
        at=on("2026-03-03"),
    )
    assert app.status == "accepted"
    assert app.deadline == "2026-03-10"
    assert app.legal_deadline == CALENDAR.add_working_days(date(2026, 3, 3), 20).isoformat()
    app.collect_events()
    app.watch_deadline(today=date(2026, 3, 11), calendar=CALENDAR, at=on("2026-03-11"))
    assert [e.level for e in app.collect_events()] == ["red"]


def test_a_suspended_case_forced_back_into_review_keeps_the_days_that_were_left(
    food: ServiceDefinition,
) -> None:
    app = accepted(food)  # deadline 03-09
    app.suspend(actor=CLERK, reason="专家评审", calendar=CALENDAR, at=on("2026-03-04"))
    app.force_transition(
        actor=SUPERVISOR,
        to_status="accepted",
        reason="专家评审已结束，部门未恢复",
        calendar=CALENDAR,
        at=on("2026-03-13"),
    )
    assert app.deadline == "2026-03-18"  # three working days were left, as with resume


def test_a_denied_case_forced_back_into_review_is_no_longer_finished(
    food: ServiceDefinition,
) -> None:
    app = accepted(food)
    app.review(actor=staff(LEAD), decision="deny", opinion="场所不符合", at=on("2026-03-03"))
    assert app.finished_at is not None
    app.force_transition(
        actor=SUPERVISOR,
        to_status="under_review",
        reason="复议撤销原决定，重新审查",
        calendar=CALENDAR,
        at=on("2026-03-05"),
    )
    assert app.finished_at is None
    assert app.pending_departments == (LEAD,)  # the department decides again
    with pytest.raises(InvalidState):  # not finished: nothing to evaluate
        app.evaluate(actor=CITIZEN, rating=1, comment="", at=on("2026-03-06"))
    app.review(actor=staff(LEAD), decision="approve", opinion="复查通过", at=on("2026-03-06"))
    assert app.stage == 1


def test_a_completed_or_withdrawn_case_cannot_be_forced(food: ServiceDefinition) -> None:
    app = completed(food)
    with pytest.raises(InvalidState):
        app.force_transition(
            actor=SUPERVISOR,
            to_status="under_review",
            reason="重新审查此件",
            calendar=CALENDAR,
            at=on("2026-03-09"),
        )


# --- evaluation (好差评) and rectification (整改) ------------------------------------------------


def test_evaluation_once_by_the_applicant_after_the_case_is_finished(
    food: ServiceDefinition,
) -> None:
    app = accepted(food)
    with pytest.raises(InvalidState):
        app.evaluate(actor=CITIZEN, rating=5, comment="", at=on("2026-03-03"))
    app = completed(food)
    with pytest.raises(Forbidden):
        app.evaluate(actor=CLERK, rating=5, comment="", at=on("2026-03-07"))
    with pytest.raises(ValidationFailed):
        app.evaluate(actor=CITIZEN, rating=6, comment="", at=on("2026-03-07"))
    app.evaluate(actor=CITIZEN, rating=4, comment="满意", at=on("2026-03-07"))
    assert app.rating == 4
    with pytest.raises(InvalidState):
        app.evaluate(actor=CITIZEN, rating=5, comment="改评", at=on("2026-03-08"))
    assert app.rating == 4


def test_evaluation_only_within_the_window_after_completion(food: ServiceDefinition) -> None:
    app = completed(food, day="2026-03-06")
    finished = app.finished_at
    assert finished is not None
    with pytest.raises(InvalidState):
        app.evaluate(
            actor=CITIZEN, rating=2, comment="", at=finished + EVALUATION_WINDOW + timedelta(1)
        )
    app.evaluate(actor=CITIZEN, rating=2, comment="太慢", at=finished + EVALUATION_WINDOW)
    assert app.rating == 2


def test_a_rejected_case_can_be_evaluated(food: ServiceDefinition) -> None:
    app = submitted(food)
    app.reject(actor=CLERK, reason="不属于受理范围", at=on("2026-03-02"))
    app.evaluate(actor=CITIZEN, rating=1, comment="没说清楚", at=on("2026-03-03"))
    assert app.rating == 1


def open_rectification(app: Application) -> Rectification:
    return Rectification.open(
        application_id=app.id,
        number=app.number,
        rating=1,
        comment="窗口态度差",
        departments=list(app.departments),
        at=on("2026-03-07"),
    )


def test_a_rectification_goes_through_its_steps_in_order(food: ServiceDefinition) -> None:
    app = completed(food)
    item = open_rectification(app)
    assert item.id == rectification_id(app.id)
    assert item.next_step == "follow_up"
    with pytest.raises(InvalidState):
        item.record(actor=SUPERVISOR, step="fix", note="先整改", at=on("2026-03-08"))
    for index, step in enumerate(STEPS):
        item.record(actor=SUPERVISOR, step=step, note=f"第{index + 1}步", at=on("2026-03-09"))
    assert item.steps == list(STEPS)
    assert item.closed
    with pytest.raises(InvalidState):
        item.record(actor=SUPERVISOR, step="close", note="again", at=on("2026-03-10"))


def test_closing_a_rectification_needs_a_note(food: ServiceDefinition) -> None:
    item = open_rectification(completed(food))
    for step in STEPS[:-1]:
        item.record(actor=SUPERVISOR, step=step, note="已处理", at=on("2026-03-09"))
    with pytest.raises(ValidationFailed):
        item.record(actor=SUPERVISOR, step="close", note="  ", at=on("2026-03-10"))
    assert not item.closed
    item.record(actor=SUPERVISOR, step="close", note="申请人表示满意", at=on("2026-03-10"))
    assert item.closed


def test_only_supervisors_work_on_rectifications(food: ServiceDefinition) -> None:
    item = open_rectification(completed(food))
    with pytest.raises(Forbidden):
        item.record(actor=CLERK, step="follow_up", note="回访", at=on("2026-03-09"))
    assert item.steps == []


def test_replaying_a_back_office_history_rebuilds_an_equal_application(
    food: ServiceDefinition,
) -> None:
    app = submitted(food, deferrables=False)
    app.request_supplement(actor=CLERK, missing=["floor-plan"], note="", at=on("2026-03-02"))
    provide(app, "floor-plan", day="2026-03-03")
    app.accept(actor=CLERK, calendar=CALENDAR, at=on("2026-03-03", 11))
    app.suspend(actor=CLERK, reason="核查", calendar=CALENDAR, at=on("2026-03-04"))
    app.resume(actor=CLERK, calendar=CALENDAR, at=on("2026-03-05"))
    app.watch_deadline(today=date(2026, 3, 30), calendar=CALENDAR, at=on("2026-03-30"))
    app.escalate(actor=SUPERVISOR, note="督办", at=on("2026-03-30"))
    app.force_transition(
        actor=SUPERVISOR,
        to_status="denied",
        reason="超期未补交材料",
        calendar=CALENDAR,
        at=on("2026-03-31"),
    )
    app.evaluate(actor=CITIZEN, rating=1, comment="", at=on("2026-04-01"))
    replayed: Any = None
    for event in app.collect_events():
        replayed = event.mutate(replayed)
    assert replayed == app


def test_free_text_with_a_nul_character_is_refused_at_the_door(food: ServiceDefinition) -> None:
    # PostgreSQL cannot store U+0000 in text or jsonb: the read models would stop at the event
    app = accepted(food)
    with pytest.raises(ValidationFailed) as info:
        app.request_supplement(
            actor=CLERK, missing=["id-card"], note="模糊\x00", at=on("2026-03-03")
        )
    assert info.value.errors == {"note": "不能含有空字符（NUL）"}
    with pytest.raises(ValidationFailed):
        app.suspend(actor=CLERK, reason="\x00", calendar=CALENDAR, at=on("2026-03-03"))
    with pytest.raises(ValidationFailed):
        app.add_note(actor=CLERK, text="a\x00b", at=on("2026-03-03"))
    with pytest.raises(ValidationFailed):
        app.escalate(actor=SUPERVISOR, note="督办\x00", at=on("2026-03-03"))
    with pytest.raises(ValidationFailed):
        app.review(actor=staff(LEAD), decision="deny", opinion="不符合\x00", at=on("2026-03-03"))
    assert app.status == "accepted"
    assert len(app.collect_events()) == 2  # submitted, accepted
    item = open_rectification(completed(food))
    with pytest.raises(ValidationFailed):
        item.record(actor=SUPERVISOR, step="follow_up", note="回访\x00", at=on("2026-03-09"))
