"""Cases whose materials stand on a certificate that is no longer valid, as a stuck-case reason."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from backend.clock import Clock, system_clock
from domain.certificates import status_on

if TYPE_CHECKING:
    from backend.db.reader import Queries

__all__ = ["invalid_certificate_reasons"]

_WORDS = {"revoked": "已被吊销或注销", "expired": "已过有效期"}


async def invalid_certificate_reasons(
    db: Queries, clock: Clock = system_clock
) -> dict[UUID, list[tuple[str, datetime | None, str]]]:
    """Application id -> ("certificate_invalid", since, words) for each certificate still
    standing for one of its materials that is revoked or expired today (by ``clock``, the
    services' clock: the same day as the stuck list's other rules)."""
    today = clock().date()
    rows = await db.fetch(
        "SELECT DISTINCT u.application_id, c.type_name, c.number, c.status, c.status_reason,"
        " c.valid_until, c.updated_at FROM certificate_use_view u"
        " JOIN certificate_view c ON c.id = u.certificate_id"
        " JOIN application_view a ON a.id = u.application_id"
        " WHERE (c.status <> 'valid' OR c.valid_until < $1)"
        # only while the case still stands on it (a supplement may have replaced it)
        " AND EXISTS (SELECT 1 FROM jsonb_array_elements(a.work->'case'->'materials') m"
        "             WHERE m->>'certificateId' = u.certificate_id::text)",
        today,
    )
    reasons: dict[UUID, list[tuple[str, datetime | None, str]]] = {}
    for row in rows:
        until = row["valid_until"].isoformat() if row["valid_until"] else None
        status = status_on(row["status"], until, today)
        if status == "valid":
            continue
        why = f"：{row['status_reason']}" if status == "revoked" and row["status_reason"] else ""
        words = f"所用电子证照{row['type_name']}（{row['number']}）{_WORDS[status]}{why}"
        reasons.setdefault(row["application_id"], []).append(
            ("certificate_invalid", row["updated_at"], words)
        )
    return reasons
