"""Courier orders the company keeps refusing or cannot take, as a stuck-case reason."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from backend.db.reader import Queries

__all__ = ["BOOKING_ATTEMPTS_BEFORE_STUCK", "failed_booking_reasons"]

# a few quick retries are normal (a blip at the company); more is a case to look at
BOOKING_ATTEMPTS_BEFORE_STUCK = 3


async def failed_booking_reasons(
    db: Queries,
) -> dict[UUID, list[tuple[str, datetime | None, str]]]:
    """Application id -> ("delivery_failed", since, words) for orders still not booked."""
    rows = await db.fetch(
        "SELECT application_id, attempts, last_error, created_at FROM courier_orders"
        " WHERE status = 'pending' AND attempts >= $1 ORDER BY created_at",
        BOOKING_ATTEMPTS_BEFORE_STUCK,
    )
    reasons: dict[UUID, list[tuple[str, datetime | None, str]]] = {}
    for row in rows:
        words = f"快递下单未成功（已尝试{row['attempts']}次）：{row['last_error'] or '未知原因'}"
        reasons.setdefault(row["application_id"], []).append(
            ("delivery_failed", row["created_at"], words)
        )
    return reasons
