"""Staff accounts as admins see them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["StaffRow", "list_staff"]


class StaffRow(msgspec.Struct, frozen=True):
    id: UUID
    username: str
    role: str
    department: str | None
    active: bool
    created_at: datetime
    sessions: int


async def list_staff(services: Services) -> list[StaffRow]:
    """Every account, active first, with how many console sessions it has open."""
    rows = await services.pool.fetch(
        "SELECT s.id, s.username, s.role, s.department, s.active, s.created_at,"
        " (SELECT count(*) FROM console_sessions c WHERE c.staff_id = s.id"
        "  AND c.expires_at > now()) AS sessions"
        " FROM staff s ORDER BY NOT s.active, s.role, s.department NULLS FIRST, s.username"
    )
    return [StaffRow(**dict(r)) for r in rows]
