"""Citizens' reads of their applications: the progress view and "my applications"."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from backend.applications.dto import ApplicationProgress, ApplicationSummary, Resubscribe
from backend.http import pages
from backend.http.pages import Page
from backend.proxies.access import authorisations, lets
from backend.read_side import PROGRESS, read_model
from domain.application.citizen import open_now
from domain.application.status import CLOSED
from domain.errors import NotFound
from projections.notification_templates import MAX_PER_REQUEST

if TYPE_CHECKING:
    from collections.abc import Sequence

    from backend.auth.tokens import Principal
    from backend.db.reader import Queries
    from backend.services import Services

__all__ = ["PROGRESS", "MineFilter", "get_progress", "list_mine", "visible_clause"]

_progress = msgspec.json.Decoder(ApplicationProgress).decode
# a citizen's id, parsed once per phone in use rather than on every refresh of their progress
_citizen_uuid = lru_cache(maxsize=4096)(UUID)


def visible_clause(principal: Principal, first: int = 2) -> tuple[str, list[object]]:
    """The SQL condition (from parameter ``$first``) for the rows of ``application_view`` the
    caller may see: a citizen their own, a department its cases, supervisors every case."""
    if principal.role == "citizen":
        return f"citizen_id = ${first}", [_citizen_uuid(principal.id)]
    if principal.actor().oversees_all:
        return "TRUE", []
    return f"${first} = ANY(departments)", [principal.department]


async def get_progress(
    services: Services, principal: Principal, application_id: UUID, after: int | None = None
) -> ApplicationProgress:
    """The citizen's view of one application; 404 for anyone who may not see it (never for
    their own just submitted: ``after`` is the position the submission answered). An agent
    sees the applications they submitted while their authorisation covers them (代办).

    The stored document holds the actions the case allows; those with a closing time (the
    evaluation window, a booking's cancel cut-off) are offered only until then. The templates
    the applicant accepted and used up come from their quota, read in the same statement."""
    db = await read_model(services, PROGRESS, after)
    clause, args = visible_clause(principal)
    # the document as text, decoded once, straight into the answer's type (no dict between)
    row = await db.fetchrow(
        "SELECT v.detail::text AS detail, (SELECT array_agg(q.template_id) FROM"  # noqa: S608
        " notification_quota q WHERE q.citizen_id = v.citizen_id AND q.remaining = 0) AS used_up"
        f" FROM application_view v WHERE v.id = $1 AND {clause}",
        application_id,
        *args,
    )
    detail: str | None = row["detail"] if row is not None else None
    used_up = (row["used_up"] if row is not None else None) or ()
    if detail is None and principal.role == "citizen":
        detail = await _as_agent(services, db, UUID(principal.id), application_id)
    if detail is None:
        raise NotFound("办件不存在")
    progress = _progress(detail)
    actions = open_now(progress.actions, progress.actions_until, services.clock())
    resubscribe = _resubscribe(services, progress, used_up)
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


async def _as_agent(
    services: Services, db: Queries, agent_id: UUID, application_id: UUID
) -> str | None:
    """The detail (as text, like the principal's) of an application ``agent_id`` submitted
    for someone, while the authorisation it was submitted under still lets them (None
    otherwise)."""
    row = await db.fetchrow(
        "SELECT detail::text AS detail, authorisation_id, service_code FROM application_view"
        " WHERE id = $1 AND agent_id = $2",
        application_id,
        agent_id,
    )
    if row is None or row["authorisation_id"] is None:
        return None
    allowed = await lets(
        services, agent_id, row["authorisation_id"], row["service_code"], services.clock()
    )
    detail: str = row["detail"]
    return detail if allowed else None


_SUMMARY = "SELECT id, number, service_name, status, status_text, updated_at"


def _summary(r: Any) -> ApplicationSummary:
    return ApplicationSummary(
        id=str(r["id"]),
        number=r["number"],
        service_name=r["service_name"],
        status=r["status"],
        status_text=r["status_text"],
        updated_at=r["updated_at"],
    )


class MineFilter(msgspec.Struct, frozen=True):
    """Which of my applications, and which page of them (newest first)."""

    status: str | None = None
    service_code: str | None = None
    limit: int = pages.DEFAULT_LIMIT
    cursor: str | None = None


# keyset pagination on (submitted_at, id), newest first; $1 the citizen (or agent)
_MINE = (
    " FROM application_view WHERE {who} = $1"
    " AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR service_code = $3)"
    " AND ($4::timestamptz IS NULL OR (submitted_at, id) < ($4, $5::uuid))"
    " ORDER BY submitted_at DESC, id DESC LIMIT $6"
)


async def list_mine(
    services: Services,
    citizen: Principal,
    after: int | None = None,
    *,
    as_agent: bool = False,
    which: MineFilter | None = None,
) -> Page[ApplicationSummary]:
    """My applications, newest first; ``as_agent``: those I submitted for others, while my
    authorisation covers them (a page may then hold fewer than ``limit``: follow the cursor)."""
    which = which or MineFilter()
    start = pages.decode(which.cursor, tuple[datetime, UUID])
    db = await read_model(services, PROGRESS, after)
    who = "agent_id" if as_agent else "citizen_id"
    extra = ", authorisation_id" if as_agent else ""
    rows = await db.fetch(
        f"{_SUMMARY}, submitted_at, service_code{extra}" + _MINE.format(who=who),
        UUID(citizen.id),
        which.status,
        which.service_code,
        *(start or (None, None)),
        which.limit + 1,
    )
    shown, next_key = pages.page_of(rows, which.limit, lambda r: (r["submitted_at"], r["id"]))
    if not as_agent:
        return Page([_summary(r) for r in shown], next_key)
    return Page(await _still_authorised(services, UUID(citizen.id), shown), next_key)


async def _still_authorised(
    services: Services, agent_id: UUID, rows: list[Any]
) -> list[ApplicationSummary]:
    found = await authorisations(services, (r["authorisation_id"] for r in rows))
    now = services.clock()
    return [
        _summary(r)
        for r in rows
        if (a := found.get(r["authorisation_id"])) is not None
        and a.lets(agent_id, r["service_code"], now)
    ]
