"""Periodic jobs of the worker: the deadline watcher and calendar refresh."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from backend.appointments.commands import record_no_shows, send_reminders
from backend.back_office.commands import watch_deadlines
from backend.bundles.release import release_waiting
from backend.certificates.commands import expire_certificates
from backend.certificates.recheck import recheck_platform_certificates
from backend.consultations.commands import watch_consultations
from backend.files.cleanup import delete_unattached_files
from backend.proxies.commands import expire_authorisations

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
    """One pass of the watcher: deadlines of applications and consultations (with the
    calendar as admins last left it, and a warning once a day when a year they may reach has
    no official schedule), then appointments: no-shows recorded and tomorrow's visits
    reminded; uploads never used are deleted a day on; certificates and authorisations whose
    validity ended are marked so; the platform certificates open cases stand on are checked
    again there (revoked: stuck)."""
    await services.calendar_keeper.refresh(services)
    services.calendar_keeper.warn_daily(services)
    changed = await watch_deadlines(services)
    changed += await watch_consultations(services)
    changed += await record_no_shows(services)
    changed += await send_reminders(services)
    changed += await expire_certificates(services)
    changed += await recheck_platform_certificates(services)
    changed += await expire_authorisations(services)
    changed += await release_waiting(services)
    await delete_unattached_files(services)
    return changed
