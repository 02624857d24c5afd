"""Application progress: the citizen's timeline, "my applications", queues, stuck cases, stats.

One row per application. ``detail`` is the citizen's view exactly as the API returns it;
``work`` keeps the domain's case state and the facts the texts need; the narrow columns the
queries filter on are derived from the case state on every write. The changes themselves are
pure (``progress_view``): this module only loads rows, hands them the events and writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from domain.application import Application
from projections.progress_rows import UPSERT, columns
from projections.progress_view import CANCEL_CUTOFF, ProgressView, apply_event, row_key, started

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

__all__ = ["ProgressProjection"]


class ProgressProjection:
    """Keeps ``application_view``."""

    name: str = "progress"
    tables: tuple[str, ...] = ("application_view",)

    def __init__(self, cancel_cutoff: timedelta = CANCEL_CUTOFF) -> None:
        # when a booking can no longer be cancelled (the citizen's actions say so); a change
        # of the setting reaches stored rows with a rebuild
        self.cancel_cutoff = cancel_cutoff

    async def process(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        position: int,
    ) -> None:
        await self.process_batch(conn, [event])

    async def process_batch(
        self, conn: asyncpg.Connection | PoolConnectionProxy, events: Sequence[Event]
    ) -> None:
        """Apply ``events`` in order: each row they touch is read once and written once."""
        keys = {key for key in map(row_key, events) if key is not None}
        if not keys:
            return
        views = await self._load(conn, keys)
        created: dict[UUID, Application.Submitted] = {}  # new rows, in the order submitted
        changed: set[UUID] = set()
        for event in events:
            key = row_key(event)
            if key is None:
                continue
            if isinstance(event, Application.Submitted):
                if key not in views:  # a replayed submission changes nothing
                    views[key] = started(event, cancel_cutoff=self.cancel_cutoff)
                    created[key] = event
                continue
            view = views.get(key)
            if view is not None and apply_event(view, event, refresh=False):
                changed.add(key)
        for key in changed:
            views[key].refresh()  # once per row, after its last event of the batch
        written = [*created.keys() | changed]
        if written:
            await conn.execute(UPSERT, *columns(written, views, created))

    async def _load(
        self, conn: asyncpg.Connection | PoolConnectionProxy, keys: set[UUID]
    ) -> dict[UUID, ProgressView]:
        rows = await conn.fetch(
            # locked: an erasure scrubbing these rows waits for the batch, and the batch for it
            "SELECT id, version, updated_at, detail, work FROM application_view"
            " WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
            list(keys),
        )
        return {
            row["id"]: ProgressView.restore(
                row["detail"],
                row["work"],
                version=row["version"],
                updated_at=row["updated_at"],
                cancel_cutoff=self.cancel_cutoff,
            )
            for row in rows
        }
