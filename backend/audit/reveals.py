"""个人信息查看留痕: every view of a citizen's decrypted personal data, with who, when, which
fields of which application and why. Written before the data is shown; read by supervisors."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

from domain.errors import ValidationFailed

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["Reveal", "list_reveals", "record_reveal"]

_MIN_REASON = 4


class Reveal(msgspec.Struct, frozen=True):
    """One view of personal data."""

    at: datetime
    application_id: UUID
    staff_name: str
    role: str
    department: str | None
    fields: tuple[str, ...]
    reason: str


async def record_reveal(
    services: Services,
    staff: Principal,
    application_id: UUID,
    fields: tuple[str, ...],
    reason: str,
) -> Reveal:
    """Record that ``staff`` is about to see ``fields``; a reason of a few words is required."""
    reason = reason.strip()
    if len(reason) < _MIN_REASON or len(reason) > 500 or "\x00" in reason:
        raise ValidationFailed("请说明查看个人信息的理由", {"reason": "4至500个字"})
    reveal = Reveal(
        at=services.clock(),
        application_id=application_id,
        staff_name=staff.name or staff.id,
        role=staff.role,
        department=staff.department,
        fields=fields,
        reason=reason,
    )
    await services.pool.execute(
        "INSERT INTO personal_data_reveals (application_id, staff_id, staff_name, role,"
        " department, fields, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        application_id,
        UUID(staff.id),
        reveal.staff_name,
        reveal.role,
        reveal.department,
        list(fields),
        reason,
        reveal.at,
    )
    return reveal


async def list_reveals(services: Services, application_id: UUID) -> list[Reveal]:
    """Every view of the application's personal data, newest first."""
    rows = await services.pool.fetch(
        "SELECT at, application_id, staff_name, role, department, fields, reason"
        " FROM personal_data_reveals WHERE application_id = $1 ORDER BY at DESC, id DESC",
        application_id,
    )
    return [
        Reveal(
            at=r["at"],
            application_id=r["application_id"],
            staff_name=r["staff_name"],
            role=r["role"],
            department=r["department"],
            fields=tuple(r["fields"]),
            reason=r["reason"],
        )
        for r in rows
    ]
