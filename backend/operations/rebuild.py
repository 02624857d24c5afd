"""Replaying the event log into the read models (``projections rebuild``, and after a restore)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from backend.operations.progress import progress_bar

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["rebuild_read_models"]


async def rebuild_read_models(services: Services, name: str | None = None) -> dict[str, int]:
    """Empty and replay one read model (``name``) or all of them, each with a progress bar on
    stderr; how many events each replayed. ``KeyError`` for an unknown name."""
    runner = services.runner
    chosen = [runner.projection(name)] if name else runner.projections
    async with services.pool.acquire() as conn:
        head = await services.recorder.max_notification_id(conn)
    replayed: dict[str, int] = {}
    for projection in chosen:
        bar = progress_bar(head, projection.name)
        bar(0)
        replayed[projection.name] = await runner.rebuild(projection, bar)
        sys.stderr.write(f"\n{projection.name}: {replayed[projection.name]} events replayed\n")
    return replayed
