"""Application numbers (办件编号): one daily counter per service's compact code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.numbering import application_number, compact_code

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["DRAW_NUMBER", "next_number"]

# The day's counter of one compact code, drawn ($1 day, $2 compact code) with the transaction's
# commit not waiting for its WAL flush (see ``next_number``); the admission query of a submit
# draws it with the same statement under a condition (``WHERE`` appended before ``ON CONFLICT``).
DRAW_NUMBER = (
    "INSERT INTO application_numbers (day, service_code, last)"
    " SELECT $1, $2, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS s"
    " {condition}"
    " ON CONFLICT (day, service_code) DO UPDATE SET last = application_numbers.last + 1"
    " RETURNING last"
)


async def next_number(services: Services, service_code: str) -> str:
    """The next number of today for ``service_code``."""
    today = services.clock().date()
    # counted per compact code, the part the number shows, so two codes never share a number
    compact = compact_code(service_code)
    # Its own transaction, committed without waiting for the WAL flush: the row lock of the
    # day's counter is released at once instead of after an fsync, so submissions of one
    # service do not queue behind each other's disk writes. The save of the application
    # flushes the WAL after this, so a number is durable whenever an application holds it; a
    # crash in between loses only a number nobody holds (a gap, as after any failed submit).
    sequence = await services.pool.fetchval(DRAW_NUMBER.format(condition=""), today, compact)
    return application_number(today, service_code, int(sequence))
