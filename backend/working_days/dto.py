"""Calendar overrides, years and their status in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from backend.http.dto import Body, Dto

__all__ = ["CalendarDay", "CalendarHealth", "CalendarOverride", "CalendarStatus", "LoadedYear"]


class CalendarOverride(Body, frozen=True):
    kind: Literal["holiday", "workday"]
    note: str = ""


class CalendarDay(Dto, frozen=True):
    day: date
    kind: str
    note: str


class LoadedYear(Dto, frozen=True):
    """A year whose complete official schedule an admin loaded."""

    year: int
    source: str
    loaded_by: str
    loaded_at: datetime
    days: int  # holidays and make-up workdays of that year now in the overrides


class CalendarHealth(Dto, frozen=True):
    """The ``calendar`` part of ``/ready``: degraded never makes the process unready."""

    status: Literal["ok", "degraded"]
    missing_years: tuple[int, ...]
    detail: str | None = None


class CalendarStatus(Dto, frozen=True):
    """Which years have official data, and a warning (Chinese) when one that counts is missing."""

    status: Literal["ok", "degraded"]
    years: tuple[int, ...]  # every year with official data: the package's and the loaded ones
    package: str  # e.g. chinese-calendar 1.11.0
    package_years: tuple[int, ...]
    loaded_years: tuple[LoadedYear, ...]
    missing_years: tuple[int, ...]
    warning: str | None = None
