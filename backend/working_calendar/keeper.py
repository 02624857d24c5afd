"""Keeps ``services.calendar`` the same in every process, and says loudly when a year it counts
deadlines in has no official schedule.

Across processes a change travels through a counter, not LISTEN/NOTIFY. The row
``calendar_version`` is bumped by triggers in the same transaction as any change of
``calendar_overrides`` or ``calendar_years`` (made by the app, the CLI or by hand in psql).
Each process reads it at most once per ``refresh_seconds`` before a request uses its services,
and on each watcher pass, and reloads the calendar when the number moved. A counter was chosen
because API-only processes (``ONEWINDOW_RUN_WORKERS=0``) hold no listening connection to hear a
NOTIFY on, and a notification sent while a listener reconnects is lost for good; the counter
needs no held connection and cannot be missed. Its cost: one single-row read per second in a
busy process, and a change reaching the others within that second.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from backend.working_calendar.data import read_calendar

if TYPE_CHECKING:
    import asyncpg

    from domain.calendar import WorkingCalendar

__all__ = ["CalendarKeeper", "missing_detail"]


class Services(Protocol):
    """What the keeper reads and sets of ``backend.services.Services``."""

    pool: asyncpg.Pool
    calendar: WorkingCalendar

    def clock(self) -> datetime: ...


def missing_detail(missing: Sequence[int]) -> str:
    """What a missing year means, for operators."""
    return (
        f"no official holiday schedule for {', '.join(map(str, missing))}: working days there"
        " are counted Monday to Friday only (no holidays, no make-up workdays); load the State"
        " Council's schedule with `onewindow calendar load FILE` (docs/operations.md)"
    )


_log = logging.getLogger(__name__)


class CalendarKeeper:
    """The version this process's calendar was loaded at, when it last looked, and when it last
    warned about missing years (once a day is enough: the watcher runs every minute)."""

    def __init__(
        self,
        refresh_seconds: float = 1.0,
        lookahead_days: int = 92,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.lookahead_days = lookahead_days
        self.version: int | None = None
        self._monotonic = monotonic
        self._checked_at = -math.inf
        self._lock = asyncio.Lock()
        self._warned_on: date | None = None
        self._unreachable = False

    async def load(self, pool: asyncpg.Pool) -> WorkingCalendar:
        """Read the calendar now and remember its version."""
        self.version, calendar = await read_calendar(pool)
        self._checked_at = self._monotonic()
        return calendar

    async def refresh(self, services: Services) -> None:
        """Reload ``services.calendar`` when another process (or this one) changed it; reads
        the version at most once per ``refresh_seconds``. When the database cannot be reached,
        the calendar stays as it was (the request's own queries will say what is wrong)."""
        if self._monotonic() - self._checked_at < self.refresh_seconds:
            return
        async with self._lock:  # concurrent requests: one of them looks, the others wait
            if self._monotonic() - self._checked_at < self.refresh_seconds:
                return
            try:
                current = await services.pool.fetchval("SELECT version FROM calendar_version")
                if current != self.version:
                    services.calendar = await self.load(services.pool)
            except (OSError, TimeoutError) as exc:
                if not self._unreachable:
                    _log.warning("calendar version unreadable, keeping the calendar: %r", exc)
                self._unreachable = True
            else:
                self._unreachable = False
            self._checked_at = self._monotonic()

    def missing_years(self, services: Services) -> tuple[int, ...]:
        """Years without an official schedule that deadlines counted today may reach."""
        today = services.clock().date()
        return services.calendar.missing_years(today, self.lookahead_days)

    def warn_daily(self, services: Services) -> tuple[int, ...]:
        """Log a WARNING about the missing years, at most once a day in this process."""
        missing = self.missing_years(services)
        today = services.clock().date()
        if missing and self._warned_on != today:
            _log.warning("%s", missing_detail(missing))
            self._warned_on = today
        return missing
