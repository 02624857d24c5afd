"""Reading one's own writes: a query given ``?after=position`` waits for its read model."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["wait_for_position"]


async def wait_for_position(services: Services, position: int, projection: str) -> None:
    """Wait briefly until ``projection`` has applied ``position`` (read your own writes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.settings.projection_wait_seconds
    delay = 0.005
    while await services.runner.position(projection) < position:
        if loop.time() >= deadline:
            return  # answer with what we have; the client can ask again
        services.runner.wake()
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)
