"""The domain rules behind the console's screens: who sees personal data, which actions are
offered, and the working days left on a case."""

from __future__ import annotations

from datetime import date

import pytest

from domain.actors import Actor
from domain.application import CaseState
from domain.application.access import may_see_personal_data
from domain.application.actions import offered_actions
from domain.application.state import deadline_bounds
from domain.calendar import WorkingCalendar

AMR, HEALTH, FIRE, POLICE = "市市场监督管理局", "市卫生健康委员会", "市消防救援支队", "市公安局"
CALENDAR = WorkingCalendar(holidays=[date(2026, 10, d) for d in range(1, 8)])


def case(status: str = "submitted", **fields: object) -> CaseState:
    state = CaseState.submitted(department=AMR, stages=[[AMR], [HEALTH, FIRE], [AMR]], materials=[])
    state.status = status  # type: ignore[assignment]
    for name, value in fields.items():
        setattr(state, name, value)
    return state


def staff(role: str, department: str | None = None) -> Actor:
    return Actor(id="s1", role=role, department=department)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("actor", "may"),
    [
        (staff("clerk", AMR), True),  # the lead department's window
        (staff("clerk", FIRE), False),  # a department with a step, but its window
        (staff("reviewer", FIRE), True),  # reviews a step of the case, now reached
        (staff("reviewer", POLICE), False),  # no step in the case
        (staff("supervisor"), True),
        (staff("admin"), True),
        (staff("courier", "sf"), False),
    ],
)
def test_personal_data_is_for_the_lead_window_the_reviewers_of_the_case_and_overseers(
    actor: Actor, may: bool
) -> None:
    in_parallel_review = case("under_review", accepted_on="2026-03-02", stage=1)
    assert may_see_personal_data(actor, in_parallel_review) is may


def test_a_reviewer_sees_no_personal_data_before_their_stage_is_reached() -> None:
    fire = staff("reviewer", FIRE)
    assert not may_see_personal_data(fire, case())  # at the window
    assert not may_see_personal_data(fire, case("accepted", accepted_on="2026-03-02", stage=0))
    assert may_see_personal_data(fire, case("under_review", accepted_on="2026-03-02", stage=1))


def test_a_new_case_offers_the_lead_clerk_acceptance_and_not_the_reviewers_review() -> None:
    assert {"accept", "reject", "request_supplement", "note"} <= offered_actions(
        staff("clerk", AMR), case()
    )
    assert "accept" not in offered_actions(staff("reviewer", AMR), case())
    assert "accept" not in offered_actions(staff("clerk", HEALTH), case())
    assert offered_actions(staff("courier", "sf"), case()) == frozenset()


def test_review_is_offered_to_the_departments_the_stage_waits_for() -> None:
    parallel = case("under_review", stage=1, decisions={HEALTH: "approve"})
    assert "review" in offered_actions(staff("reviewer", FIRE), parallel)
    assert "review" not in offered_actions(staff("reviewer", HEALTH), parallel)  # decided
    assert "review" not in offered_actions(staff("clerk", FIRE), parallel)
    supervisor = offered_actions(staff("supervisor"), parallel)
    assert {"review", "reassign", "escalate", "force_transition"} <= supervisor


def test_delivery_actions_are_offered_to_supervisors_once_the_result_is_out() -> None:
    failed = case("delivering", delivery_failed=True)
    assert {"redispatch", "switch_to_pickup"} <= offered_actions(staff("supervisor"), failed)
    assert "redispatch" not in offered_actions(staff("supervisor"), case("delivering"))
    assert "switch_to_pickup" not in offered_actions(staff("clerk", AMR), failed)


def test_working_days_left_count_down_over_holidays_and_go_negative_once_late() -> None:
    running = case("accepted", deadline="2026-10-09")
    assert running.working_days_left(date(2026, 9, 30), CALENDAR) == 2  # 10-08 and 10-09
    assert running.deadline_state(date(2026, 9, 30), CALENDAR) == "on_time"
    assert running.working_days_left(date(2026, 10, 8), CALENDAR) == 1
    assert running.deadline_state(date(2026, 10, 8), CALENDAR) == "due_soon"
    assert running.working_days_left(date(2026, 10, 13), CALENDAR) == -2
    assert running.deadline_state(date(2026, 10, 13), CALENDAR) == "overdue"
    assert (
        case("suspended", deadline="2026-10-09").working_days_left(date(2026, 9, 30), CALENDAR)
        is None
    )


@pytest.mark.parametrize("today", [date(2026, 9, 28), date(2026, 9, 30), date(2026, 10, 8)])
def test_the_deadline_bounds_cut_where_the_deadline_state_does(today: date) -> None:
    overdue_before, due_soon_before = deadline_bounds(today, CALENDAR)
    for offset in range(-5, 20):
        deadline = date.fromordinal(today.toordinal() + offset)
        state = case("accepted", deadline=deadline.isoformat()).deadline_state(today, CALENDAR)
        expected = (
            "overdue"
            if deadline < overdue_before
            else "due_soon"
            if deadline < due_soon_before
            else "on_time"
        )
        assert state == expected, deadline
