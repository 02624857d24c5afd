"""Consultation threads for the asker, the departments' queues and the statistics.

The messages keep the thread's words in clear for reading (as the progress timeline does);
erasing the citizen scrubs them (``backend.accounts.erasure``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from domain.consultation import Consultation
from domain.personal import text_of

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

    Conn = asyncpg.Connection | PoolConnectionProxy

__all__ = ["ConsultationProjection"]

_UPDATE_TAIL = ", updated_at = $2, version = $3 WHERE id = $1"


async def _update(conn: Conn, event: Event, assignments: str, *args: Any) -> None:
    """``UPDATE consultation_view SET <assignments>`` (constant SQL, ``$4`` on for ``args``)
    and the row's time and version."""
    await conn.execute(
        f"UPDATE consultation_view SET {assignments}{_UPDATE_TAIL}",  # noqa: S608 - constants
        event.originator_id,
        event.timestamp,
        event.originator_version,
        *args,
    )


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _message(event: Any, sender: str, text: str, **extra: Any) -> list[dict[str, Any]]:
    message = {"at": event.timestamp.isoformat(), "from": sender, "text": text, **extra}
    return [{k: v for k, v in message.items() if v is not None}]


class ConsultationProjection:
    """Keeps ``consultation_view``."""

    name: str = "consultations"
    tables: tuple[str, ...] = ("consultation_view",)

    async def process(self, conn: Conn, event: Event, position: int) -> None:
        if isinstance(event, Consultation.Asked):
            await self._asked(conn, event)
            return
        if isinstance(event, Consultation.Replied):
            message = _message(
                event,
                "staff",
                text_of(event.text),
                department=event.department,
                legalBasis=event.legal_basis,
            )
            await _update(
                conn,
                event,
                "status = 'answered', reply_due = NULL,"
                " warnings = '{}', replies = replies + 1, late_replies = late_replies + $5,"
                " first_reply_at = coalesce(first_reply_at, $2), messages = messages || $4",
                message,
                0 if event.on_time else 1,
            )
        elif isinstance(event, Consultation.Forwarded):
            forward = {
                "at": event.timestamp.isoformat(),
                "fromDepartment": event.from_department,
                "toDepartment": event.to_department,
                "reason": text_of(event.reason),
            }
            await _update(
                conn,
                event,
                "department = $4::text, departments ="
                " (SELECT array_agg(DISTINCT d ORDER BY d) FROM unnest(departments || $4::text) d),"
                " reply_due = $5::date, forwarded = true, warnings = '{}',"
                " forwards = forwards || $6",
                event.to_department,
                _day(event.reply_due),
                [forward],
            )
        elif isinstance(event, Consultation.FollowedUp):
            message = _message(event, "citizen", text_of(event.text), fileIds=event.file_ids)
            await _update(
                conn,
                event,
                "messages = messages || $4,"
                " status = CASE WHEN $5::date IS NULL THEN status ELSE 'open' END,"
                " reply_due = coalesce($5::date, reply_due),"
                " forwarded = CASE WHEN $5::date IS NULL THEN forwarded ELSE false END,"
                " warnings = CASE WHEN $5::date IS NULL THEN warnings ELSE '{}' END",
                message,
                _day(event.reply_due),
            )
        elif isinstance(event, Consultation.DeadlineWarning):
            await _update(
                conn,
                event,
                "warnings = array_append(warnings, $4)",
                event.level,
            )
        elif isinstance(event, Consultation.Closed):
            await _update(
                conn,
                event,
                "status = 'closed', reply_due = NULL",
            )
        elif isinstance(event, Consultation.Rated):
            await _update(conn, event, "rating = $4", event.rating)

    async def _asked(self, conn: Conn, event: Consultation.Asked) -> None:
        question = text_of(event.question)
        await conn.execute(
            "INSERT INTO consultation_view (id, number, citizen_id, service_code, service_name,"
            " department, departments, status, reply_due, asked_at, updated_at, question,"
            " messages, version) VALUES ($1, $2, $3, $4, $5, $6, ARRAY[$6], 'open', $7::date,"
            " $8, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
            event.originator_id,
            event.number,
            event.citizen_id,
            event.service_code,
            event.service_name,
            event.department,
            _day(event.reply_due),
            event.timestamp,
            question,
            _message(event, "citizen", question, fileIds=event.file_ids),
            event.originator_version,
        )
