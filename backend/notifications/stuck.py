"""Failed notifications as a stuck-case reason (``notification_failed``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from backend.db.reader import Queries

__all__ = ["FAILED_NOTIFICATIONS", "failed_notification_reasons"]

# What the stuck-case list reads: failed messages of applications, newest failure per event.
FAILED_NOTIFICATIONS = (
    "SELECT application_id, event_type, last_error, updated_at FROM notification_outbox"
    " WHERE status = 'failed' AND application_id IS NOT NULL ORDER BY updated_at"
)


async def failed_notification_reasons(
    db: Queries,
) -> dict[UUID, list[tuple[str, datetime | None, str]]]:
    """Application id -> ("notification_failed", since, words) for each failed message."""
    reasons: dict[UUID, list[tuple[str, datetime | None, str]]] = {}
    for row in await db.fetch(FAILED_NOTIFICATIONS):
        words = f"微信通知发送失败（{row['event_type']}）：{row['last_error'] or '未知原因'}"
        reasons.setdefault(row["application_id"], []).append(
            ("notification_failed", row["updated_at"], words)
        )
    return reasons
