"""Publishing service halls and their slot templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.errors import NotFound
from domain.halls import Hall, HallDefinition, hall_aggregate_id, parse_hall

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["load_hall", "publish_halls"]


async def publish_halls(services: Services, entries: list[Any]) -> dict[str, int]:
    """Publish new halls and new versions of changed ones (all valid, or nothing is saved)."""
    definitions = [parse_hall(entry) for entry in entries]
    counts = {"published": 0, "revised": 0, "unchanged": 0}
    now = services.clock()
    for definition in definitions:
        try:
            hall = await services.repository.get(Hall, hall_aggregate_id(definition.id))
        except NotFound:
            await services.repository.save(Hall.publish(definition, at=now))
            counts["published"] += 1
            continue
        if hall.revise(definition, at=now):
            await services.repository.save(hall)
            counts["revised"] += 1
        else:
            counts["unchanged"] += 1
    return counts


async def load_hall(services: Services, hall_id: str) -> HallDefinition:
    """The current definition of a hall; ``NotFound`` when there is none."""
    try:
        hall = await services.repository.get(Hall, hall_aggregate_id(hall_id))
    except NotFound:
        raise NotFound(f"大厅{hall_id}不存在") from None
    return hall.definition
