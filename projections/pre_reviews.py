"""Pre-reviews (预审) for the citizen who sent them and the lead department's queue.

The draft's form and courier address are not copied here (they stay sealed in the events);
the clerk's notes are shown in clear, and erasing the citizen scrubs them
(``backend.accounts.erasure``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from domain.personal import text_of
from domain.prereview import PreReview

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

    Conn = asyncpg.Connection | PoolConnectionProxy

__all__ = ["PreReviewProjection"]

_UPDATE_TAIL = ", updated_at = $2, version = $3 WHERE id = $1"


async def _update(conn: Conn, event: Event, assignments: str, *args: Any) -> None:
    """``UPDATE pre_review_view SET <assignments>`` (constant SQL, ``$4`` on for ``args``)
    and the row's time and version."""
    await conn.execute(
        f"UPDATE pre_review_view SET {assignments}{_UPDATE_TAIL}",  # noqa: S608 - constants
        event.originator_id,
        event.timestamp,
        event.originator_version,
        *args,
    )


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _round(number: int, event: Any) -> list[dict[str, Any]]:
    return [{"round": number, "sentAt": event.timestamp.isoformat()}]


class PreReviewProjection:
    """Keeps ``pre_review_view``."""

    name: str = "pre_reviews"
    tables: tuple[str, ...] = ("pre_review_view",)

    async def process(self, conn: Conn, event: Event, position: int) -> None:
        if isinstance(event, PreReview.Requested):
            await self._requested(conn, event)
        elif isinstance(event, PreReview.Answered):
            findings = {"missing": event.missing, "note": text_of(event.note)}
            answer = {
                "answeredAt": event.timestamp.isoformat(),
                "ready": event.ready,
                "onTime": event.on_time,
                "by": event.actor.get("id"),
                **findings,
            }
            # the answer joins its round's entry (the last one)
            await _update(
                conn,
                event,
                "status = $4, due = NULL, findings = $5, answered_at = $2,"
                " late_answers = late_answers + $6,"
                " rounds = jsonb_set(rounds, ARRAY[(jsonb_array_length(rounds) - 1)::text],"
                " rounds -> (jsonb_array_length(rounds) - 1) || $7::jsonb)",
                "ready" if event.ready else "needs_changes",
                findings,
                0 if event.on_time else 1,
                answer,
            )
        elif isinstance(event, PreReview.Revised):
            await _update(
                conn,
                event,
                "status = 'pending', round = $4, due = $5, situation_id = $6, checklist = $7,"
                " materials = $8, delivery_method = $9, sent_at = $2, answered_at = NULL,"
                " rounds = rounds || $10",
                event.round,
                _day(event.due),
                event.situation_id,
                event.checklist,
                event.materials,
                event.delivery["method"],
                _round(event.round, event),
            )
        elif isinstance(event, PreReview.Used):
            await _update(
                conn,
                event,
                "application_id = $4::uuid, application_number = $5, unchanged = $6",
                event.application_id,
                event.application_number,
                event.unchanged,
            )

    async def _requested(self, conn: Conn, event: PreReview.Requested) -> None:
        await conn.execute(
            "INSERT INTO pre_review_view (id, number, citizen_id, service_code, service_name,"
            " department, situation_id, status, round, due, checklist, materials,"
            " delivery_method, rounds, requested_at, sent_at, updated_at, version)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 1, $8, $9, $10, $11, $12,"
            " $13, $13, $13, $14) ON CONFLICT (id) DO NOTHING",
            event.originator_id,
            event.number,
            event.citizen_id,
            event.service_code,
            event.service_name,
            event.department,
            event.situation_id,
            _day(event.due),
            event.checklist,
            event.materials,
            event.delivery["method"],
            _round(1, event),
            event.timestamp,
            event.originator_version,
        )
