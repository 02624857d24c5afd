"""The calendar's data: which years the pinned chinese-calendar has, what a year without data
counts, and a loaded year on top of the package. The 2027 file has invented dates
(tests/fixtures/README.md): never a real schedule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from backend.working_calendar.data import load_calendar, package_years
from domain.calendar_years import decode_year_schedule

TEST_ONLY_2027 = Path(__file__).parents[1] / "fixtures" / "calendar-2027-TEST-ONLY-invented.json"


def test_the_pinned_package_has_official_data_from_2004_to_2026_only() -> None:
    years = package_years()
    assert min(years) == 2004
    assert set(range(2004, 2027)) <= years
    # chinese-calendar 1.11.0 stops at 2026: 2027 must come from an admin's load
    assert 2027 not in years


def test_a_year_without_data_still_counts_monday_to_friday() -> None:
    calendar = load_calendar()
    # Thursday 2026-12-31, then Friday 2027-01-01 counts as a working day: nothing says otherwise
    assert calendar.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 1)
    assert not calendar.has_schedule(2027)


def test_a_loaded_year_counts_as_official_and_its_days_move_deadlines() -> None:
    schedule = decode_year_schedule(TEST_ONLY_2027.read_bytes())
    overrides = [(day, kind) for day, kind, _ in schedule.days()]
    calendar = load_calendar(overrides, loaded_years=[schedule.year])

    assert calendar.has_schedule(2027)
    assert calendar.missing_years(date(2026, 12, 1), 92) == ()
    # Friday 01-01 (no holiday in the test file), then 01-04 and 01-05 off, 01-09 worked
    assert calendar.add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 6)
    assert calendar.add_working_days(date(2027, 1, 8), 1) == date(2027, 1, 9)
