"""Citizens' reads of their applications: the progress view and "my applications"."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

from backend.applications.dto import ApplicationProgress, ApplicationSummary, Resubscribe
from backend.read_side import wait_for_position
from domain.application.citizen import open_now
from domain.application.status import CLOSED
from domain.errors import NotFound
from projections.notification_templates import MAX_PER_REQUEST

if TYPE_CHECKING:
    from collections.abc import Sequence

    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["PROGRESS", "get_progress", "list_mine", "visible_clause"]

PROGRESS = "progress"  # the read model these queries read


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
    """The citizen's view of one application; 404 for anyone who may not see it.

    The stored document holds the actions the case allows; those with a closing time (the
    evaluation window, a booking's cancel cut-off) are offered only until then. The templates
    the applicant accepted and used up come from their quota, read in the same statement."""
    if after:
        await wait_for_position(services, after, PROGRESS)
    clause, args = visible_clause(principal)
    # the document as text, decoded once, straight into the answer's type (no dict between)
    row = await services.pool.fetchrow(
        "SELECT v.detail::text AS detail, (SELECT array_agg(q.template_id) FROM"  # noqa: S608
        " notification_quota q WHERE q.citizen_id = v.citizen_id AND q.remaining = 0) AS used_up"
        f" FROM application_view v WHERE v.id = $1 AND {clause}",
        application_id,
        *args,
    )
    if row is None:
        raise NotFound("办件不存在")
    progress = _progress(row["detail"])
    actions = open_now(progress.actions, progress.actions_until, services.clock())
    resubscribe = _resubscribe(services, progress, row["used_up"] or ())
    if actions == progress.actions and resubscribe is None:
        return progress
    return msgspec.structs.replace(progress, actions=actions, resubscribe=resubscribe)


RESUBSCRIBE_TEXT = "您订阅的消息提醒次数已用完，重新订阅后可继续收到办理进度通知"


def _resubscribe(
    services: Services, progress: ApplicationProgress, used_up: Sequence[str]
) -> Resubscribe | None:
    """Suggest subscribing again while the case goes on and a one-time quota is used up."""
    if not used_up or progress.status in CLOSED:
        return None
    spent = set(used_up)
    ids = [t for t in services.notification_templates.template_ids if t in spent]
    return Resubscribe(tuple(ids[:MAX_PER_REQUEST]), RESUBSCRIBE_TEXT) if ids else None


async def list_mine(
    services: Services, citizen: Principal, after: int | None = None
) -> list[ApplicationSummary]:
    """My applications, newest first."""
    if after:
        await wait_for_position(services, after, PROGRESS)
    rows = await services.pool.fetch(
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
