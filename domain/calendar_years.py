"""One year's official holiday schedule (the State Council's 节假日安排 notice) as an admin loads
it, and the rules it must meet before it replaces that year's calendar.

The file format (``docs/operations.md``, "Calendar years")::

    {"year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知 (国办发明电〔2026〕N号)",
     "holidays": [{"name": "元旦", "days": ["2027-01-01", ...]}, ...],
     "workdays": [{"name": "春节调休上班", "day": "2027-02-..."}]}

Rules (every broken one is reported, each under its path, e.g. ``holidays[1].days[0]``):

- ``source`` names the notice; ``year`` lies between 2000 and 2100;
- there is at least one holiday period, and every period and workday has a name;
- every day lies inside ``year`` (a notice's day in the previous December, as 2018-12-29..31 in
  the 2019 notice, is entered as a single-day override);
- a period's days are consecutive (one period per entry) and include at least one weekday (a
  period only on a weekend changes nothing, so it is a typo);
- no day is listed twice, and no day is both a holiday and a workday;
- every make-up workday (调休上班) is a Saturday or a Sunday.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import pairwise
from typing import Annotated

import msgspec

from domain.errors import ValidationFailed

__all__ = [
    "HolidayPeriod",
    "MakeUpWorkday",
    "YearSchedule",
    "check_year_schedule",
    "decode_year_schedule",
]

_FIRST_YEAR, _LAST_YEAR = 2000, 2100
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_AT_PATH = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<path>[^`]*)`$")


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    pass


class HolidayPeriod(_Strict, frozen=True):
    """Days off for one holiday, e.g. 春节 and its eight days."""

    name: Annotated[str, msgspec.Meta(max_length=100)]
    days: tuple[date, ...]


class MakeUpWorkday(_Strict, frozen=True):
    """A weekend day worked in exchange for a longer holiday (调休上班)."""

    name: Annotated[str, msgspec.Meta(max_length=100)]
    day: date


class YearSchedule(_Strict, frozen=True):
    """A year's complete official schedule and the notice it comes from."""

    year: int
    source: Annotated[str, msgspec.Meta(max_length=500)]
    holidays: tuple[HolidayPeriod, ...]
    workdays: tuple[MakeUpWorkday, ...] = ()

    def days(self) -> list[tuple[date, str, str]]:
        """Every day of the schedule as (day, 'holiday'|'workday', name), by day."""
        listed = [(d, "holiday", p.name) for p in self.holidays for d in p.days]
        listed += [(w.day, "workday", w.name) for w in self.workdays]
        return sorted(listed)


def check_year_schedule(schedule: YearSchedule) -> YearSchedule:
    """``schedule`` when it meets every rule above; ``ValidationFailed`` naming each break."""
    errors: dict[str, str] = {}
    year = schedule.year
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        errors["year"] = f"must be between {_FIRST_YEAR} and {_LAST_YEAR}"
    if not schedule.source.strip():
        errors["source"] = "required: the notice this schedule comes from (文号)"
    if not schedule.holidays:
        errors["holidays"] = "at least one holiday period is required"
    seen: dict[date, str] = {}
    for i, period in enumerate(schedule.holidays):
        where = f"holidays[{i}]"
        errors.update(_period_errors(period, where))
        for j, day in enumerate(period.days):
            errors.update(_day_errors(day, year, seen, f"{where}.days[{j}]"))
    for i, workday in enumerate(schedule.workdays):
        where = f"workdays[{i}]"
        if not workday.name.strip():
            errors[f"{where}.name"] = "required, e.g. 春节调休上班"
        errors.update(_day_errors(workday.day, year, seen, f"{where}.day"))
        if workday.day.weekday() < 5:
            errors.setdefault(
                f"{where}.day",
                f"{workday.day} is a {_WEEKDAYS[workday.day.weekday()]}: a make-up workday"
                " (调休上班) is a Saturday or a Sunday",
            )
    if errors:
        raise ValidationFailed(
            f"{year}年的节假日安排有{len(errors)}处不符合规则，未导入任何数据", errors
        )
    return schedule


def decode_year_schedule(data: bytes) -> YearSchedule:
    """Parse a schedule file (JSON) and check it; ``ValidationFailed`` says what is wrong."""
    try:
        schedule = msgspec.json.decode(data, type=YearSchedule)
    except msgspec.ValidationError as exc:
        match = _AT_PATH.match(str(exc))
        path, message = (match["path"], match["message"]) if match else ("file", str(exc))
        if "date" in message:
            message += " (write days as YYYY-MM-DD)"
        raise ValidationFailed(
            f"节假日安排文件格式不符，未导入任何数据：{exc}",
            {path or "file": message},
        ) from exc
    except msgspec.DecodeError as exc:
        raise ValidationFailed(
            f"节假日安排文件不是有效的 JSON，未导入任何数据：{exc}", {"file": str(exc)}
        ) from exc
    return check_year_schedule(schedule)


def _period_errors(period: HolidayPeriod, where: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not period.name.strip():
        errors[f"{where}.name"] = "required, e.g. 春节"
    if not period.days:
        errors[f"{where}.days"] = "at least one day is required"
        return errors
    ordered = sorted(set(period.days))
    gaps = [(a, b) for a, b in pairwise(ordered) if b - a != timedelta(days=1)]
    if gaps:
        before, after = gaps[0]
        errors[f"{where}.days"] = (
            f"the days of one period must be consecutive, but {before} is followed by {after}"
            " (list a separate period as its own entry)"
        )
    elif all(day.weekday() >= 5 for day in ordered):
        errors[f"{where}.days"] = (
            "the period has no weekday: a holiday only on a weekend changes nothing"
        )
    return errors


def _day_errors(day: date, year: int, seen: dict[date, str], where: str) -> dict[str, str]:
    if day.year != year:
        return {where: f"{day} is not in {year}"}
    if day in seen:
        first = seen[day]
        if first.startswith("holidays") != where.startswith("holidays"):
            return {where: f"{day} cannot be both a holiday and a workday (see {first})"}
        return {where: f"{day} is listed twice (first at {first})"}
    seen[day] = where
    return {}
