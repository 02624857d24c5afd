"""Periodic jobs of the worker: the deadline watcher and calendar refresh."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from backend.commands.back_office import watch_deadlines
from backend.commands.calendar import refresh_calendar

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["every", "watch"]

_log = logging.getLogger(__name__)


async def every(
    interval: float, job: Callable[[], Awaitable[object]], stop: asyncio.Event, name: str
) -> None:
    """Run ``job`` now and then every ``interval`` seconds until ``stop``; a failed run is
    logged and retried at the next tick, so one bad case never stops the watcher."""
    while not stop.is_set():
        try:
            await job()
        except Exception:  # noqa: BLE001 - logged with its cause; the next tick tries again
            _log.exception("job %s failed", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def watch(services: Services) -> int:
    """One pass of the deadline watcher, with the calendar as admins last left it."""
    await refresh_calendar(services)
    return await watch_deadlines(services)
