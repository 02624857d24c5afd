"""When a year without an official holiday schedule matters, and the rules a year's schedule file
must meet before it is loaded.

The 2027 file used here has invented dates (tests/fixtures/README.md): no official 2027
schedule existed when this was written.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.calendar import WorkingCalendar
from domain.calendar_years import decode_year_schedule
from domain.errors import ValidationFailed

TEST_ONLY_2027 = Path(__file__).parents[1] / "fixtures" / "calendar-2027-TEST-ONLY-invented.json"


def raw_2027() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TEST_ONLY_2027.read_text(encoding="utf-8"))
    return data


def problems(raw: dict[str, Any] | bytes) -> dict[str, str]:
    data = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    with pytest.raises(ValidationFailed) as refused:
        decode_year_schedule(data)
    assert "未导入任何数据" in refused.value.detail
    return refused.value.errors


# --- years with data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "lookahead", "missing"),
    [
        ("2026-06-01", 92, ()),  # the next year is beyond the lookahead: nothing to report yet
        ("2026-10-01", 92, (2027,)),  # from October, deadlines may reach January
        ("2026-12-01", 92, (2027,)),
        ("2027-01-04", 92, (2027,)),  # the current year itself
        ("2026-06-01", 366, (2027,)),
        ("2026-06-01", 0, ()),
    ],
)
def test_a_year_is_missing_when_deadlines_counted_today_may_reach_it(
    today: str, lookahead: int, missing: tuple[int, ...]
) -> None:
    calendar = WorkingCalendar(years=range(2004, 2027))
    assert calendar.missing_years(date.fromisoformat(today), lookahead) == missing


# --- the file's rules ------------------------------------------------------------------------


def test_the_test_only_file_meets_every_rule() -> None:
    schedule = decode_year_schedule(TEST_ONLY_2027.read_bytes())
    assert schedule.year == 2027
    assert [kind for _, kind, _ in schedule.days()].count("workday") == 1


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda r: r["holidays"][0]["days"].append("2028-01-01"), "holidays[0].days[2]", "not in"),
        (lambda r: r.update(source="  "), "source", "required"),
        (lambda r: r.update(year=1999), "year", "between 2000 and 2100"),
        (lambda r: r.update(holidays=[]), "holidays", "at least one"),
        (lambda r: r["holidays"][0].update(name=""), "holidays[0].name", "required"),
        (
            lambda r: r["holidays"][0]["days"].append("2027-01-07"),
            "holidays[0].days",
            "consecutive",
        ),
        (
            lambda r: r["holidays"].append({"name": "周末", "days": ["2027-05-08", "2027-05-09"]}),
            "holidays[2].days",
            "no weekday",
        ),
        (
            lambda r: r["holidays"].append({"name": "again", "days": ["2027-01-05"]}),
            "holidays[2].days[0]",
            "listed twice",
        ),
        (
            lambda r: r["workdays"].append({"name": "调休", "day": "2027-03-13"}),
            "workdays[1].day",
            "both a holiday and a workday",
        ),
        (
            lambda r: r["workdays"].append({"name": "调休", "day": "2027-01-06"}),
            "workdays[1].day",
            "is a Wednesday",
        ),
        (lambda r: r["workdays"][0].update(name=" "), "workdays[0].name", "required"),
        (lambda r: r["holidays"][0]["days"].__setitem__(0, "2027-1-4"), "holidays[0].days[0]", ""),
        (lambda r: r.update(holiday=r.pop("holidays")), "", "unknown field"),
    ],
)
def test_a_schedule_breaking_a_rule_is_refused_naming_the_place(
    change: Any, path: str, message: str
) -> None:
    raw = raw_2027()
    change(raw)
    errors = problems(raw)
    found = {k: v for k, v in errors.items() if k == path or not path}
    assert found, errors
    assert any(message.lower() in v.lower() for v in found.values()), errors


def test_every_broken_rule_is_reported_at_once() -> None:
    raw = raw_2027()
    raw["source"] = ""
    raw["workdays"][0]["day"] = "2027-01-08"  # a Friday
    assert set(problems(raw)) == {"source", "workdays[0].day"}


def test_a_file_that_is_not_json_is_refused_clearly() -> None:
    assert "file" in problems(b"{year: 2027")
