"""The demo catalogue and demo staff that ``serve --demo`` loads (sandbox only)."""

from __future__ import annotations

import asyncio
import logging
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import msgspec

from backend.accounts.commands import create_staff
from backend.appointments.halls import publish_halls
from backend.bundles.catalog import publish_life_events
from backend.catalog.commands import publish_catalog
from domain.errors import ConflictError

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["demo_catalog", "demo_halls", "demo_life_events", "demo_staff", "load_demo"]

_log = logging.getLogger(__name__)


def demo_catalog() -> list[Any]:
    """The demo catalogue's entries."""
    data = msgspec.json.decode((files("backend") / "demo" / "catalog.json").read_bytes())
    entries: list[Any] = data["services"]
    return entries


def demo_life_events() -> list[Any]:
    """The demo catalogue's life events (一件事)."""
    data = msgspec.json.decode((files("backend") / "demo" / "catalog.json").read_bytes())
    entries: list[Any] = data.get("lifeEvents", [])
    return entries


def demo_halls() -> list[Any]:
    """The demo service halls with their slot templates."""
    data = msgspec.json.decode((files("backend") / "demo" / "halls.json").read_bytes())
    entries: list[Any] = data["halls"]
    return entries


def demo_staff() -> tuple[str, list[dict[str, Any]]]:
    """The shared demo password and the demo accounts (listed in the README)."""
    data = msgspec.json.decode((files("backend") / "demo" / "staff.json").read_bytes())
    return data["password"], data["staff"]


async def load_demo(services: Services) -> None:
    """Publish the demo catalogue and create missing demo staff; safe to run at every start."""
    counts = await publish_catalog(services, demo_catalog())
    await publish_life_events(services, demo_life_events())
    await publish_halls(services, demo_halls())
    password, accounts = demo_staff()
    existing = {r[0] for r in await services.pool.fetch("SELECT username FROM staff")}

    async def create(account: dict[str, Any]) -> bool:
        try:
            await create_staff(
                services.pool,
                account["username"],
                password,
                account["role"],
                account["department"],
            )
        except ConflictError:
            return False  # another process created it just now
        return True

    missing = [a for a in accounts if a["username"] not in existing]
    created = sum(await asyncio.gather(*(create(a) for a in missing)))
    for projection in services.runner.projections:  # so the catalogue shows at the first request
        await services.runner.catch_up(projection)
    _log.info("demo catalogue %s; %d demo staff created", counts, created)
