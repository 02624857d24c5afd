"""Publishing the service catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from backend.eventstore.retry import retry_on_conflict
from domain.catalog import ServiceDefinition, ServiceItem, parse_definition, service_item_id
from domain.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["load_catalog_file", "publish_catalog", "read_catalog"]


def read_catalog(path: Path) -> list[Any]:
    """The entries of a catalogue file: ``{"version": 1, "services": [...]}``."""
    try:
        data = msgspec.json.decode(path.read_bytes())
    except msgspec.DecodeError as exc:
        raise ValidationFailed(f"{path} 不是有效的 JSON：{exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise ValidationFailed(f"{path}：应为包含 services 列表的对象")
    services: list[Any] = data["services"]
    return services


async def publish_catalog(services: Services, entries: list[Any]) -> dict[str, int]:
    """Publish new items and new versions of changed ones; unchanged items stay as they are."""
    definitions = [parse_definition(entry) for entry in entries]  # all valid, or nothing is saved
    counts = {"published": 0, "revised": 0, "unchanged": 0}
    now = services.clock()
    for definition in definitions:

        async def attempt(definition: ServiceDefinition = definition) -> str:
            try:
                item = await services.repository.get(ServiceItem, service_item_id(definition.code))
            except NotFound:
                await services.repository.save(ServiceItem.publish(definition, at=now))
                return "published"
            if item.revise(definition, at=now):
                await services.repository.save(item)
                return "revised"
            return "unchanged"

        # several processes may publish the same file at once (serve --workers N --demo)
        counts[await retry_on_conflict(attempt, services.settings.command_retries)] += 1
    return counts


async def load_catalog_file(services: Services, path: Path) -> dict[str, int]:
    """``onewindow catalog load FILE``."""
    return await publish_catalog(services, read_catalog(path))
