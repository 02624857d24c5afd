"""The working-day calendar across processes on one real PostgreSQL: a change made in one process
(or by hand in SQL) is used by every other within a second, without a restart; loading a year
replaces that year's days; a year without an official schedule is logged at start and once a day.

Each "process" is a bootstrap of its own (pool, keeper, calendar) on the same database. The 2027
file has invented dates (tests/fixtures/README.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from backend.auth.tokens import Principal
from backend.bootstrap import bootstrap
from backend.jobs import watch
from backend.services import Services
from backend.settings import Settings
from backend.working_calendar.keeper import CalendarKeeper
from backend.working_days.commands import load_year, set_override
from domain.calendar import CST
from domain.calendar_years import decode_year_schedule

SECRET = "calendar-sync-test-secret-key-of-32-bytes"
ADMIN = Principal(id="admin-1", role="admin", name="admin")
TEST_ONLY_2027 = Path(__file__).parents[1] / "fixtures" / "calendar-2027-TEST-ONLY-invented.json"
MONDAY = date(2026, 12, 7)


class Clock:
    """The wall clock the test moves (today's date decides which years are missing)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Ticks:
    """A monotonic clock the test moves (how often the version is read)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def process(
    db_url: str, data_dir: Path, clock: Clock | None = None
) -> AsyncIterator[Services]:
    """One more process on the database: no workers, its own calendar."""
    settings = Settings(data_dir=data_dir, database_url=db_url, secret_key=SECRET)
    clock = clock or Clock(datetime(2026, 12, 1, 10, tzinfo=CST))
    async with bootstrap(settings, run_workers=False, clock=clock) as services:
        yield services


async def use_calendar(services: Services) -> None:
    """What a request does before it reaches a handler (the ``services`` dependency)."""
    await services.calendar_keeper.refresh(services)


async def test_an_override_set_in_one_process_is_used_by_another_within_a_second(
    db_url: str, tmp_path: Path
) -> None:
    async with process(db_url, tmp_path) as a, process(db_url, tmp_path) as b:
        await use_calendar(b)
        assert b.calendar.is_working_day(MONDAY)

        await set_override(a, ADMIN, MONDAY, "holiday", "停电")
        assert not a.calendar.is_working_day(MONDAY)  # the writing process at once

        started = time.monotonic()
        while b.calendar.is_working_day(MONDAY):
            # refresh_seconds is 1; the rest is room for a busy test machine
            assert time.monotonic() - started < 3, "the other process never saw the override"
            await asyncio.sleep(0.05)
            await use_calendar(b)


async def test_a_process_reads_the_calendar_version_at_most_once_per_second(
    db_url: str, tmp_path: Path
) -> None:
    async with process(db_url, tmp_path) as a, process(db_url, tmp_path) as b:
        ticks = Ticks()
        b.calendar_keeper = CalendarKeeper(refresh_seconds=1.0, monotonic=ticks)
        b.calendar = await b.calendar_keeper.load(b.pool)

        await set_override(a, ADMIN, MONDAY, "holiday", "停电")
        ticks.now += 0.5
        await use_calendar(b)
        assert b.calendar.is_working_day(MONDAY)  # looked less than a second ago: cached

        ticks.now += 0.6
        await use_calendar(b)
        assert not b.calendar.is_working_day(MONDAY)


async def test_a_calendar_change_made_by_hand_in_sql_reaches_every_process(
    db_url: str, tmp_path: Path
) -> None:
    async with process(db_url, tmp_path) as a, process(db_url, tmp_path) as b:
        await set_override(a, ADMIN, MONDAY, "holiday", "停电")
        ticks = Ticks()
        b.calendar_keeper = CalendarKeeper(refresh_seconds=1.0, monotonic=ticks)
        b.calendar = await b.calendar_keeper.load(b.pool)
        assert not b.calendar.is_working_day(MONDAY)

        await a.pool.execute("DELETE FROM calendar_overrides WHERE day = $1", MONDAY)
        ticks.now += 1.1
        await use_calendar(b)
        assert b.calendar.is_working_day(MONDAY)


async def test_loading_a_year_replaces_its_days_and_makes_it_official_in_every_process(
    db_url: str, tmp_path: Path
) -> None:
    schedule = decode_year_schedule(TEST_ONLY_2027.read_bytes())
    async with process(db_url, tmp_path) as a, process(db_url, tmp_path) as b:
        await set_override(a, ADMIN, date(2027, 6, 1), "holiday", "entered before the notice")
        await set_override(a, ADMIN, MONDAY, "holiday", "停电")
        assert b.calendar_keeper.missing_years(b) == (2027,)

        loaded = await load_year(a, schedule, by="admin")

        assert loaded.days == 7
        rows = await a.pool.fetch("SELECT day FROM calendar_overrides ORDER BY day")
        # the 2027 day entered by hand is replaced; 2026 is left alone
        assert [r["day"] for r in rows] == [MONDAY, *(d for d, _, _ in schedule.days())]
        b.calendar_keeper.refresh_seconds = 0
        await use_calendar(b)
        assert b.calendar.has_schedule(2027)
        assert b.calendar_keeper.missing_years(b) == ()
        assert not b.calendar.is_working_day(date(2027, 1, 4))
        assert b.calendar.is_working_day(date(2027, 1, 9))
        assert b.calendar.is_working_day(date(2027, 6, 1))


async def test_a_missing_year_is_logged_at_start_and_then_once_a_day(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(datetime(2026, 12, 1, 10, tzinfo=CST))

    def warnings() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and "no official holiday schedule" in r.getMessage()
        ]

    with caplog.at_level(logging.WARNING, logger="backend.working_calendar.keeper"):
        async with process(db_url, tmp_path, clock) as services:
            assert len(warnings()) == 1
            assert "2027" in warnings()[0]
            await watch(services)
            await watch(services)
            assert len(warnings()) == 1  # the watcher runs every minute, the warning daily

            clock.now += timedelta(days=1)
            await watch(services)
            assert len(warnings()) == 2

            await load_year(services, decode_year_schedule(TEST_ONLY_2027.read_bytes()), "cli")
            clock.now += timedelta(days=1)
            await watch(services)
            assert len(warnings()) == 2
