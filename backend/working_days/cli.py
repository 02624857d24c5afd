"""``onewindow calendar load FILE`` and ``onewindow calendar status``."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.calendar import CST

if TYPE_CHECKING:
    from backend.services import Services
    from backend.settings import Settings
    from backend.working_days.dto import CalendarStatus

__all__ = ["add_calendar_commands", "describe_status", "year_ranges"]

WithServices = Callable[["Settings", Callable[["Services"], Awaitable[Any]]], Any]


def add_calendar_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], with_services: WithServices
) -> None:
    """Register ``calendar load`` and ``calendar status``; ``with_services`` runs the work
    inside a bootstrapped app (the CLI's own helper, passed in to keep the imports one-way)."""
    calendar = commands.add_parser("calendar", help="holiday schedules of the working-day calendar")
    calendar_commands = calendar.add_subparsers(dest="calendar_command", required=True)
    load = calendar_commands.add_parser(
        "load", help="load one year's official schedule (JSON, see docs/operations.md)"
    )
    load.add_argument("file")
    load.set_defaults(run=lambda args, settings: _load(args, settings, with_services))
    status = calendar_commands.add_parser("status", help="which years have official data")
    status.set_defaults(run=lambda args, settings: _status(settings, with_services))


def _load(args: argparse.Namespace, settings: Settings, with_services: WithServices) -> int:
    from backend.working_days.commands import load_year
    from backend.working_days.dto import LoadedYear
    from domain.calendar_years import decode_year_schedule

    # checked before anything starts: a bad file never reaches the database
    schedule = decode_year_schedule(Path(args.file).read_bytes())

    async def work(services: Services) -> LoadedYear:
        return await load_year(services, schedule, by="cli")

    loaded: LoadedYear = with_services(settings, work)
    print(f"{loaded.year}: {loaded.days} days loaded from {loaded.source}; the year is official")
    return 0


def _status(settings: Settings, with_services: WithServices) -> int:
    from backend.working_days.status import calendar_status

    status: CalendarStatus = with_services(settings, calendar_status)
    print(describe_status(status))
    return 0


def describe_status(status: CalendarStatus) -> str:
    """The status as lines for a terminal."""
    lines = [
        f"years with official data: {year_ranges(status.years)}",
        f"  from {status.package}: {year_ranges(status.package_years)}",
    ]
    lines += [
        f"  loaded {y.year}: {y.source} (by {y.loaded_by},"
        f" {y.loaded_at.astimezone(CST):%Y-%m-%d %H:%M} UTC+8, {y.days} days)"
        for y in status.loaded_years
    ]
    if status.missing_years:
        missing = ", ".join(map(str, status.missing_years))
        lines.append(f"MISSING: {missing} (degraded: counted Monday to Friday)")
        lines.append(f"  {status.warning}")
    else:
        lines.append("missing: none")
    return "\n".join(lines)


def year_ranges(years: Iterable[int]) -> str:
    """``2004-2026, 2028`` for those years."""
    ordered = sorted(set(years))
    if not ordered:
        return "none"
    spans: list[list[int]] = [[ordered[0], ordered[0]]]
    for year in ordered[1:]:
        if year == spans[-1][1] + 1:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)
