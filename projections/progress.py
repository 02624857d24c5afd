"""Application progress: the citizen's timeline, "my applications", queues, stuck cases, stats.

One row per application. ``detail`` is the citizen's view exactly as the API returns it;
``work`` keeps the domain's case state and the facts the texts need; the narrow columns the
queries filter on are derived from the case state on every write. The changes themselves are
pure (``progress_view``): this module only loads rows, hands them the events and writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.application import Application
from projections.in_flight import InFlight
from projections.progress_rows import UPSERT, columns, row
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

    def __init__(
        self, cancel_cutoff: timedelta = CANCEL_CUTOFF, *, rows_per_statement: int = 500
    ) -> None:
        # when a booking can no longer be cancelled (the citizen's actions say so); a change
        # of the setting reaches stored rows with a rebuild
        self.cancel_cutoff = cancel_cutoff
        # small enough that the server has a chunk to write while the next is moved, large
        # enough that a statement's own cost (planning, a round trip) stays small
        self.rows_per_statement = rows_per_statement

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
        """Apply ``events`` in order: each row they touch is read once and written once.

        A row's events only move that row, so the rows are moved one after another, each by
        its own events in log order, and written in chunks: the server writes one chunk while
        the next is moved."""
        by_row: dict[UUID, list[Event]] = {}
        for event in events:
            key = row_key(event)
            if key is not None:
                by_row.setdefault(key, []).append(event)
        if not by_row:
            return
        views = await self._load(conn, set(by_row))
        writes = InFlight(conn)
        try:
            chunk: list[tuple[Any, ...]] = []
            for key, row_events in by_row.items():
                moved = self._move(key, views.get(key), row_events)
                if moved is not None:
                    chunk.append(moved)
                    if len(chunk) == self.rows_per_statement:
                        await writes.send(UPSERT, *columns(chunk))
                        chunk = []
            if chunk:
                await writes.send(UPSERT, *columns(chunk))
            await writes.done()
        except BaseException:
            await writes.abandon()
            raise

    def _move(
        self, key: UUID, view: ProgressView | None, events: list[Event]
    ) -> tuple[Any, ...] | None:
        """The row ``key`` after ``events`` (``view``: as stored, None for a new row), or None
        when they change nothing."""
        submitted: Application.Submitted | None = None
        changed = False
        for event in events:
            if isinstance(event, Application.Submitted):
                if view is None:  # a replayed submission changes nothing
                    view = started(event, cancel_cutoff=self.cancel_cutoff)
                    submitted = event
                continue
            if view is not None and apply_event(view, event, refresh=False):
                changed = True
        if view is None or (submitted is None and not changed):
            return None
        if changed:
            view.refresh()  # once, after the row's last event of the batch
        return row(key, view, submitted)

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
