"""Citizens' reads of their applications: the progress view and "my applications"."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

from backend.applications.dto import ApplicationProgress, ApplicationSummary
from backend.read_side import PROGRESS, read_model
from domain.errors import NotFound

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["PROGRESS", "get_progress", "list_mine", "visible_clause"]

_progress = msgspec.json.Decoder(ApplicationProgress).decode


def visible_clause(principal: Principal, first: int = 2) -> tuple[str, list[object]]:
    """The SQL condition (from parameter ``$first``) for the rows of ``application_view`` the
    caller may see: a citizen their own, a department its cases, supervisors every case."""
    if principal.role == "citizen":
        return f"citizen_id = ${first}", [UUID(principal.id)]
    if principal.actor().oversees_all:
        return "TRUE", []
    return f"${first} = ANY(departments)", [principal.department]


async def get_progress(
    services: Services, principal: Principal, application_id: UUID, after: int | None = None
) -> ApplicationProgress:
    """The citizen's view of one application; 404 for anyone who may not see it (never for
    their own just submitted: ``after`` is the position the submission answered)."""
    db = await read_model(services, PROGRESS, after)
    clause, args = visible_clause(principal)
    # the document as text, decoded once, straight into the answer's type (no dict between)
    detail = await db.fetchval(
        f"SELECT detail::text FROM application_view WHERE id = $1 AND {clause}",  # noqa: S608
        application_id,
        *args,
    )
    if detail is None:
        raise NotFound("application not found")
    return _progress(detail)


async def list_mine(
    services: Services, citizen: Principal, after: int | None = None
) -> list[ApplicationSummary]:
    """My applications, newest first."""
    db = await read_model(services, PROGRESS, after)
    rows = await db.fetch(
        "SELECT id, number, service_name, status, status_text, updated_at FROM application_view"
        " WHERE citizen_id = $1 ORDER BY submitted_at DESC LIMIT 200",
        UUID(citizen.id),
    )
    return [
        ApplicationSummary(
            id=str(r["id"]),
            number=r["number"],
            service_name=r["service_name"],
            status=r["status"],
            status_text=r["status_text"],
            updated_at=r["updated_at"],
        )
        for r in rows
    ]
