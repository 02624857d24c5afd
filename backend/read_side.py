"""Reading one's own writes: a query given ``?after=position`` waits for its read model,
woken by the position's notification (``backend.db.positions``), never polling while it
waits."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["wait_for_position"]


async def wait_for_position(services: Services, position: int, projection: str) -> bool:
    """Wait briefly until the read model has applied ``position`` (read your own writes);
    False when it had not within ``projection_wait_seconds`` (the answer may be stale)."""
    services.runner.wake()  # a worker in this process looks at once
    return await services.positions.wait(
        projection, position, services.settings.projection_wait_seconds
    )
