"""整改 items opened by bad ratings, for the supervisors' list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.personal import text_of
from domain.rectification import Rectification
from projections.texts import china_iso

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

__all__ = ["RectificationProjection"]


class RectificationProjection:
    """Keeps ``rectification_view``."""

    name: str = "rectifications"
    tables: tuple[str, ...] = ("rectification_view",)

    async def process(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        position: int,
    ) -> None:
        if isinstance(event, Rectification.Opened):
            await conn.execute(
                "INSERT INTO rectification_view (id, application_id, number, rating, comment,"
                " departments, status, opened_at, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $7) ON CONFLICT (id) DO NOTHING",
                event.originator_id,
                event.application_id,
                event.number,
                event.rating,
                text_of(event.comment),
                event.departments,
                event.timestamp,
            )
        elif isinstance(event, Rectification.StepRecorded):
            step = {
                "step": event.step,
                "note": event.note,
                "at": china_iso(event.timestamp),
                "by": event.actor.get("name") or event.actor.get("id"),
            }
            await conn.execute(
                "UPDATE rectification_view SET steps = steps || $2::jsonb, status = $3,"
                " updated_at = $4 WHERE id = $1",
                event.originator_id,
                [step],
                "closed" if event.step == "close" else event.step,
                event.timestamp,
            )
