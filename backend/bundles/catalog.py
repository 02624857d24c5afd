"""Publishing life events from the catalogue file (``lifeEvents``, after ``services``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from backend.eventstore.retry import retry_on_conflict
from domain.catalog import ServiceDefinition, ServiceItem, service_item_id
from domain.errors import NotFound, ValidationFailed
from domain.life_events import LifeEvent, LifeEventDefinition, life_event_id, parse_life_event

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["item_definitions", "publish_life_events", "read_life_events"]


def read_life_events(path: Path) -> list[Any]:
    """The ``lifeEvents`` of a catalogue file (none: an empty list)."""
    data = msgspec.json.decode(path.read_bytes())
    events = data.get("lifeEvents", []) if isinstance(data, dict) else []
    if not isinstance(events, list):
        raise ValidationFailed(f"{path}：lifeEvents 应为列表")
    return events


async def item_definitions(services: Services, codes: Any) -> dict[str, ServiceDefinition]:
    """The current definitions of the published items among ``codes`` (unknown ones left out)."""
    found: dict[str, ServiceDefinition] = {}
    for code in codes:
        if not isinstance(code, str) or code in found:
            continue
        try:
            item = await services.repository.get(ServiceItem, service_item_id(code))
        except NotFound:
            continue
        found[code] = item.definition
    return found


async def publish_life_events(services: Services, entries: list[Any]) -> dict[str, int]:
    """Publish new life events and new versions of changed ones (the items they name must be
    published first); all valid, or nothing is saved."""
    codes = [
        i.get("serviceCode")
        for e in entries
        if isinstance(e, dict)
        for i in e.get("items", [])
        if isinstance(i, dict)
    ]
    definitions = await item_definitions(services, codes)
    events = [parse_life_event(entry, definitions) for entry in entries]
    counts = {"published": 0, "revised": 0, "unchanged": 0}
    now = services.clock()
    for definition in events:

        async def attempt(definition: LifeEventDefinition = definition) -> str:
            try:
                event = await services.repository.get(LifeEvent, life_event_id(definition.code))
            except NotFound:
                await services.repository.save(LifeEvent.publish(definition, at=now))
                return "published"
            if event.revise(definition, at=now):
                await services.repository.save(event)
                return "revised"
            return "unchanged"

        counts[await retry_on_conflict(attempt, services.settings.command_retries)] += 1
    return counts
