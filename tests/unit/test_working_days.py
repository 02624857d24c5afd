"""The working-day clock: Chinese holidays and make-up workdays (调休), admin overrides, restart on
supplement, pause on suspension, and the yellow and red cards of the deadline watcher."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timedelta, timezone
from importlib.resources import files
from typing import Any

import pytest

from backend.working_calendar.data import load_calendar
from domain.actors import Actor
from domain.application import Application, Delivery, MaterialRef
from domain.calendar import WorkingCalendar
from domain.catalog import ServiceDefinition, parse_definition
from domain.numbering import application_number

CST = timezone(timedelta(hours=8))
FOOD = "XK-00101-000"  # promised 5 working days, legal 20; stages AMR -> (health || fire) -> AMR
LEAD = "市市场监督管理局"
CITIZEN_ID = uuid.UUID("0b7a4d4e-8a55-4d0b-9d7e-6a1f4f0e0011")
CITIZEN = Actor(id=str(CITIZEN_ID), role="citizen")
CLERK = Actor(id="clerk-amr", role="clerk", department=LEAD)
REVIEWER = Actor(id="reviewer-amr", role="reviewer", department=LEAD)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return load_calendar()


@pytest.fixture(scope="module")
def food() -> ServiceDefinition:
    raw: dict[str, Any] = json.loads(
        (files("backend") / "demo" / "catalog.json").read_text(encoding="utf-8")
    )
    return next(parse_definition(e) for e in raw["services"] if e["code"] == FOOD)


def on(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), CST)


def every_material() -> tuple[MaterialRef, ...]:
    ids = ("application-form", "id-card", "floor-plan", "food-safety-rules", "health-certificates")
    return (
        MaterialRef(material_id="business-licence", certificate_id="91330100MA0000000X"),
        *(MaterialRef(material_id=m, file_id=uuid.uuid4()) for m in ids),
    )


def accepted_on(
    food: ServiceDefinition, calendar: WorkingCalendar, day: str, hour: int = 10
) -> Application:
    app = Application.submit(
        id=uuid.uuid4(),
        number=application_number(date.fromisoformat(day), FOOD, 1),
        citizen_id=CITIZEN_ID,
        service=food,
        service_version=1,
        situation_id="new",
        form={},
        materials=every_material(),
        delivery=Delivery(method="pickup"),
        at=on(day, hour - 1),
    )
    app.accept(actor=CLERK, calendar=calendar, at=on(day, hour))
    return app


def event_names(app: Application) -> list[str]:
    return [type(e).__name__ for e in app.collect_events()]


# --- the calendar itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        # an ordinary week in March
        ("2026-03-02", 5, "2026-03-09"),
        # Spring Festival 2026: 02-15..23 off; Saturday 02-14 and Saturday 02-28 are workdays
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2026-02-12", 5, "2026-02-26"),
        ("2026-02-13", 5, "2026-02-27"),
        ("2026-02-26", 2, "2026-02-28"),
        ("2026-02-14", 1, "2026-02-24"),
        ("2026-02-15", 1, "2026-02-24"),
        # National Day 2026: 10-01..07 off; Sunday 09-20 and Saturday 10-10 are workdays
        ("2026-09-18", 1, "2026-09-20"),
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-30", 4, "2026-10-12"),
        # Mid-autumn 09-25..27 off, just before National Day
        ("2026-09-24", 1, "2026-09-28"),
        ("2026-09-24", 5, "2026-10-09"),
    ],
)
def test_working_days_skip_statutory_holidays_and_count_make_up_workdays(
    calendar: WorkingCalendar, start: str, days: int, deadline: str
) -> None:
    assert calendar.add_working_days(date.fromisoformat(start), days) == date.fromisoformat(
        deadline
    )


def test_make_up_workdays_are_working_days_and_holiday_weekdays_are_not(
    calendar: WorkingCalendar,
) -> None:
    for workday in ("2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10"):
        assert calendar.is_working_day(date.fromisoformat(workday)), workday
    for holiday in ("2026-02-16", "2026-02-23", "2026-10-01", "2026-10-07"):
        assert not calendar.is_working_day(date.fromisoformat(holiday)), holiday
    assert calendar.working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1


def test_the_deadline_of_an_application_accepted_before_spring_festival_skips_the_holiday(
    food: ServiceDefinition, calendar: WorkingCalendar
) -> None:
    app = accepted_on(food, calendar, "2026-02-13")
    assert app.deadline == "2026-02-27"
    # the legal limit (20 working days) is counted beside the promised one
    assert app.legal_deadline == "2026-03-19"


def test_the_deadline_of_an_application_accepted_before_national_day_skips_the_holiday(
    food: ServiceDefinition, calendar: WorkingCalendar
) -> None:
    app = accepted_on(food, calendar, "2026-09-30")
    # 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13
    assert app.deadline == "2026-10-13"


def test_an_override_turning_a_weekday_into_a_holiday_moves_the_deadline(
    food: ServiceDefinition,
) -> None:
    plain = accepted_on(food, load_calendar(), "2026-03-02")
    assert plain.deadline == "2026-03-09"
    with_day_off = accepted_on(food, load_calendar([(date(2026, 3, 4), "holiday")]), "2026-03-02")
    assert with_day_off.deadline == "2026-03-10"


def test_an_override_turning_a_weekend_day_into_a_workday_brings_the_deadline_forward(
    food: ServiceDefinition,
) -> None:
    app = accepted_on(food, load_calendar([(date(2026, 3, 7), "workday")]), "2026-03-02")
    assert app.deadline == "2026-03-07"


def test_an_override_can_give_back_a_make_up_workday(calendar: WorkingCalendar) -> None:
    assert load_calendar([(date(2026, 2, 14), "holiday")]).add_working_days(
        date(2026, 2, 13), 1
    ) == date(2026, 2, 24)
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)


# --- restart and pause -----------------------------------------------------------------------


def test_supplement_restarts_the_clock_when_the_materials_are_complete(
    food: ServiceDefinition, calendar: WorkingCalendar
) -> None:
    app = accepted_on(food, calendar, "2026-03-02")
    assert app.deadline == "2026-03-09"
    app.request_supplement(
        actor=REVIEWER, missing=["floor-plan", "id-card"], note="扫描件不清晰", at=on("2026-03-03")
    )
    app.provide_materials(
        actor=CITIZEN,
        materials=(MaterialRef(material_id="floor-plan", file_id=uuid.uuid4()),),
        calendar=calendar,
        at=on("2026-03-05"),
    )
    assert app.status == "supplement_requested"
    assert app.deadline == "2026-03-09"  # nothing restarts on a partial answer
    app.provide_materials(
        actor=CITIZEN,
        materials=(MaterialRef(material_id="id-card", certificate_id="330106199001010000"),),
        calendar=calendar,
        at=on("2026-03-11"),
    )
    assert app.status == "accepted"
    assert app.deadline == "2026-03-18"  # five working days from 03-11
    assert app.legal_deadline == calendar.add_working_days(date(2026, 3, 11), 20).isoformat()


def test_a_supplement_before_acceptance_does_not_start_the_clock(
    food: ServiceDefinition, calendar: WorkingCalendar
) -> None:
    app = Application.submit(
        id=uuid.uuid4(),
        number=application_number(date(2026, 3, 2), FOOD, 1),
        citizen_id=CITIZEN_ID,
        service=food,
        service_version=1,
        situation_id="new",
        form={},
        materials=every_material(),
        delivery=Delivery(method="pickup"),
        at=on("2026-03-02", 9),
    )
    app.request_supplement(actor=CLERK, missing=["floor-plan"], note="", at=on("2026-03-02"))
    app.provide_materials(
        actor=CITIZEN,
        materials=(MaterialRef(material_id="floor-plan", file_id=uuid.uuid4()),),
        calendar=calendar,
        at=on("2026-03-04"),
    )
    assert app.status == "submitted"
    assert app.deadline is None
    app.accept(actor=CLERK, calendar=calendar, at=on("2026-03-05"))
    assert app.deadline == "2026-03-12"


def test_suspension_pauses_the_clock_and_resume_gives_back_the_days_left(
    food: ServiceDefinition, calendar: WorkingCalendar
) -> None:
    app = accepted_on(food, calendar, "2026-03-02")  # deadline 03-09
    app.suspend(actor=REVIEWER, reason="需专家论证", calendar=calendar, at=on("2026-03-04"))
    assert app.status == "suspended"
    # 03-05, 03-06, 03-09 were left when the clock stopped
    app.resume(actor=REVIEWER, calendar=calendar, at=on("2026-03-13"))
    assert app.status == "accepted"
    assert app.deadline == "2026-03-18"


def test_a_suspension_over_national_day_resumes_with_the_days_left(
    food: ServiceDefinition, calendar: WorkingCalendar
) -> None:
    app = accepted_on(food, calendar, "2026-09-21")  # 09-25..27 are off
    assert app.deadline == "2026-09-29"
    app.suspend(actor=REVIEWER, reason="听证", calendar=calendar, at=on("2026-09-23"))
    # 09-24, 09-28, 09-29 left; resumed on 09-30: 10-08, 10-09, 10-10 (make-up Saturday)
    app.resume(actor=REVIEWER, calendar=calendar, at=on("2026-09-30"))
    assert app.deadline == "2026-10-10"


def test_the_watcher_does_not_warn_while_the_clock_is_paused(
    food: ServiceDefinition, calendar: WorkingCalendar
) -> None:
    app = accepted_on(food, calendar, "2026-03-02")
    app.suspend(actor=REVIEWER, reason="现场核查", calendar=calendar, at=on("2026-03-03"))
    app.collect_events()
    app.watch_deadline(today=date(2026, 3, 20), calendar=calendar, at=on("2026-03-20"))
    assert app.collect_events() == []


# --- yellow and red --------------------------------------------------------------------------


def test_yellow_one_working_day_before_the_deadline_and_red_after_it_each_once(
    food: ServiceDefinition, calendar: WorkingCalendar
) -> None:
    app = accepted_on(food, calendar, "2026-03-02")  # deadline Monday 03-09
    app.collect_events()

    def watch(day: str) -> list[Any]:
        app.watch_deadline(today=date.fromisoformat(day), calendar=calendar, at=on(day, 2))
        return list(app.collect_events())

    assert watch("2026-03-05") == []  # two working days left
    yellow = watch("2026-03-06")  # Friday: one working day left
    assert [(type(e).__name__, e.level) for e in yellow] == [("DeadlineWarning", "yellow")]
    assert watch("2026-03-06") == []
    assert watch("2026-03-07") == []
    assert watch("2026-03-09") == []
    red = watch("2026-03-10")
    assert [(type(e).__name__, e.level) for e in red] == [("DeadlineWarning", "red")]
    assert red[0].deadline == "2026-03-09"
    assert watch("2026-03-10") == []
    assert watch("2026-03-11") == []
    assert app.warnings == ["yellow", "red"]


def test_yellow_comes_on_the_make_up_saturday_before_spring_festival(
    food: ServiceDefinition, calendar: WorkingCalendar
) -> None:
    app = accepted_on(food, calendar, "2026-02-09")  # 02-10..13, 02-14 -> deadline 02-14
    assert app.deadline == "2026-02-14"
    app = accepted_on(food, calendar, "2026-02-10")  # deadline 02-24, after the holiday
    assert app.deadline == "2026-02-24"
    app.collect_events()
    app.watch_deadline(today=date(2026, 2, 13), calendar=calendar, at=on("2026-02-13"))
    assert app.collect_events() == []  # 02-14 and 02-24 are left
    app.watch_deadline(today=date(2026, 2, 14), calendar=calendar, at=on("2026-02-14"))
    assert [e.level for e in app.collect_events()] == ["yellow"]
    app.watch_deadline(today=date(2026, 2, 20), calendar=calendar, at=on("2026-02-20"))
    assert app.collect_events() == []  # still in the holiday: not overdue
    app.watch_deadline(today=date(2026, 2, 25), calendar=calendar, at=on("2026-02-25"))
    assert [e.level for e in app.collect_events()] == ["red"]


def test_a_restarted_clock_can_warn_again(
    food: ServiceDefinition, calendar: WorkingCalendar
) -> None:
    app = accepted_on(food, calendar, "2026-03-02")
    app.watch_deadline(today=date(2026, 3, 10), calendar=calendar, at=on("2026-03-10"))
    assert app.warnings == ["red"]
    app.request_supplement(actor=REVIEWER, missing=["floor-plan"], note="", at=on("2026-03-10"))
    app.provide_materials(
        actor=CITIZEN,
        materials=(MaterialRef(material_id="floor-plan", file_id=uuid.uuid4()),),
        calendar=calendar,
        at=on("2026-03-11"),
    )
    assert app.deadline == "2026-03-18"
    assert app.warnings == []
    app.collect_events()
    app.watch_deadline(today=date(2026, 3, 19), calendar=calendar, at=on("2026-03-19"))
    assert [e.level for e in app.collect_events()] == ["red"]
