"""Supervisors' commands (督办): reassign, press, force a transition, resend, rectify."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from backend.eventstore.retry import retry_on_conflict
from backend.handling import CommandAccepted, accepted, act_on
from backend.notifications.resend import count_failed, requeue_failed
from domain.application import Application
from domain.rectification import Rectification, rectification_id

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = [
    "escalate",
    "force_transition",
    "reassign",
    "record_rectification",
    "resend_notifications",
]


async def reassign(
    services: Services,
    staff: Principal,
    application_id: UUID,
    *,
    department: str,
    from_department: str | None,
    reason: str,
) -> CommandAccepted:
    """Move the waiting step to another department."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.reassign(
            actor=staff.actor(),
            to_department=department,
            from_department=from_department,
            reason=reason,
            at=now,
        ),
    )


async def escalate(
    services: Services, staff: Principal, application_id: UUID, note: str
) -> CommandAccepted:
    """督办."""
    now = services.clock()
    return await act_on(
        services, application_id, lambda a: a.escalate(actor=staff.actor(), note=note, at=now)
    )


async def force_transition(
    services: Services, staff: Principal, application_id: UUID, status: str, reason: str
) -> CommandAccepted:
    """Move a stuck case by hand, with a reason."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.force_transition(
            actor=staff.actor(),
            to_status=status,
            reason=reason,
            calendar=services.calendar,
            at=now,
        ),
    )


async def record_rectification(
    services: Services, staff: Principal, application_id: UUID, step: str, note: str
) -> CommandAccepted:
    """The supervisor's next step on a rectification."""
    now = services.clock()

    async def attempt() -> CommandAccepted:
        item = await services.repository.get(Rectification, rectification_id(application_id))
        item.record(actor=staff.actor(), step=step, note=note, at=now)
        saved = await services.repository.save(item)
        # the same status as the rectification list shows: the step just recorded
        return accepted(application_id, "closed" if item.closed else step, saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def resend_notifications(
    services: Services, staff: Principal, application_id: UUID, reason: str
) -> CommandAccepted:
    """Put the application's failed notifications back in the outbox, as one recorded action."""
    now = services.clock()

    async def attempt() -> CommandAccepted:
        async with services.repository.session() as session:
            application = await session.get(Application, application_id)
            application.ensure_visible_to(staff.actor())
            failed = await count_failed(session.conn, application_id)
            application.resend_notifications(
                actor=staff.actor(), reason=reason, failed=failed, at=now
            )
            await requeue_failed(session.conn, application_id)
            saved = await session.save(application)
        return accepted(application.id, application.status, saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)
