"""Calendar overrides in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from backend.http.dto import Body, Dto

__all__ = ["CalendarDay", "CalendarOverride"]


class CalendarOverride(Body, frozen=True):
    kind: Literal["holiday", "workday"]
    note: str = ""


class CalendarDay(Dto, frozen=True):
    day: date
    kind: str
    note: str
