"""The notification outbox: one row per event a citizen should hear of, written exactly once.

Runs like every projection (rows and tracking position in one transaction), so an event is
processed once per pass. The outbox itself is keyed by the event, (originator_id,
originator_version), and is not in ``tables``: a rebuild empties only the subjects, replays
the log, and finds every outbox row already there, so nothing is written or sent twice.

Rows are rendered here (texts fitted to the template's field types) and sent later by the
dispatcher (``backend.notifications.dispatcher``), which a ``NOTIFY`` on
:data:`NOTIFY_CHANNEL` wakes when a batch wrote rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from domain.application import Application
from domain.application.fulfilment import DeliveryDispatched
from domain.consultation import Consultation
from integrations.wechat.subscribe_fields import plain
from projections.notification_messages import MESSAGES, Subject, detail_page, variables
from projections.notification_templates import Templates, load_templates

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

    Conn = asyncpg.Connection | PoolConnectionProxy

__all__ = ["NOTIFY_CHANNEL", "NotificationProjection"]

NOTIFY_CHANNEL = "onewindow_notifications"

_SUBJECT = (
    "SELECT s.id, s.citizen_id, s.application_id, coalesce(a.context, '{}') || s.context AS context"
    " FROM notification_subjects s LEFT JOIN notification_subjects a"
    " ON a.id = s.application_id AND a.id <> s.id WHERE s.id = $1"
)


class NotificationProjection:
    """Keeps ``notification_subjects`` and appends to ``notification_outbox``."""

    name: str = "notifications"
    tables: tuple[str, ...] = ("notification_subjects",)  # never the outbox: see above

    def __init__(self, templates: Templates | None = None) -> None:
        self.templates = templates if templates is not None else load_templates()

    async def process(self, conn: Conn, event: Event, position: int) -> None:
        if isinstance(event, Application.Submitted):
            await _remember_application(conn, event)
            return
        if isinstance(event, DeliveryDispatched):  # later delivery messages show the waybill
            await conn.execute(
                "UPDATE notification_subjects SET context = context || jsonb_build_object("
                "'waybill', $2::text) WHERE id = $1",
                event.originator_id,
                plain(event.waybill_no),
            )
        if isinstance(event, Consultation.Asked):
            await _remember_consultation(conn, event)
            return
        citizen_id = getattr(event, "citizen_id", None)
        if isinstance(citizen_id, UUID):  # e.g. an appointment: its events name the citizen
            await _remember_subject(conn, event, citizen_id)
        spec = self.templates.for_event(type(event).__name__)
        if spec is None:
            return
        subject = await _subject_of(conn, event)
        if subject is None:  # pragma: no cover - every notifying stream names its citizen
            return
        notice = MESSAGES[spec.event](event, subject)
        if notice is None:
            return
        inserted = await conn.fetchval(
            "INSERT INTO notification_outbox (originator_id, originator_version, position,"
            " event_type, event_at, application_id, citizen_id, template_id, long_term, data,"
            " page) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT (originator_id, originator_version) DO NOTHING RETURNING id",
            event.originator_id,
            event.originator_version,
            position,
            spec.event,
            event.timestamp,
            subject.application_id,
            subject.citizen_id,
            spec.template_id,
            spec.long_term,
            spec.render(variables(event, subject, notice)),
            notice.page or detail_page(subject),
        )
        if inserted is not None:  # delivered at commit; several in one transaction fold into one
            await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")


async def _remember_application(conn: Conn, event: Application.Submitted) -> None:
    service: dict[str, Any] = event.service
    materials = {
        plain(str(m["id"])): plain(str(m["name"]))
        for m in service.get("materials", ())
        if isinstance(m, dict) and "id" in m and "name" in m
    }
    # plain text only: one NUL would make jsonb refuse the row and wedge the projection
    context = {
        "number": plain(event.number),
        "service": plain(str(service.get("name", ""))),
        "department": plain(str(service.get("department", ""))),
        "pickup_place": plain(str(service.get("pickupPlace", ""))),
        "promised_days": int(service.get("promisedDays", 0) or 0),
        "materials": materials,
    }
    await conn.execute(
        "INSERT INTO notification_subjects (id, citizen_id, application_id, context)"
        " VALUES ($1, $2, $1, $3) ON CONFLICT (id) DO UPDATE"
        " SET citizen_id = excluded.citizen_id, context = excluded.context",
        event.originator_id,
        event.citizen_id,
        context,
    )


async def _remember_consultation(conn: Conn, event: Consultation.Asked) -> None:
    context = {
        "number": plain(event.number),
        "service": plain(event.service_name),
        "department": plain(event.department),
    }
    await conn.execute(
        "INSERT INTO notification_subjects (id, citizen_id, context) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET citizen_id = excluded.citizen_id,"
        " context = excluded.context",
        event.originator_id,
        event.citizen_id,
        context,
    )


async def _remember_subject(conn: Conn, event: Event, citizen_id: UUID) -> None:
    application_id = getattr(event, "application_id", None)
    await conn.execute(
        "INSERT INTO notification_subjects (id, citizen_id, application_id)"
        " VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        event.originator_id,
        citizen_id,
        application_id if isinstance(application_id, UUID) else None,
    )


async def _subject_of(conn: Conn, event: Event) -> Subject | None:
    row = await conn.fetchrow(_SUBJECT, event.originator_id)
    application_id = getattr(event, "application_id", None)
    if row is None and isinstance(application_id, UUID):  # e.g. a payment of an application
        row = await conn.fetchrow(_SUBJECT, application_id)
    if row is None:
        return None
    return msgspec.convert(
        {
            **row["context"],
            "id": row["id"],
            "citizen_id": row["citizen_id"],
            "application_id": row["application_id"],
        },
        Subject,
    )
