"""Back-office commands: supplements, rejection, suspension, supervision, evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args
from uuid import UUID

from backend.applications.commands import act_on, check_files_owned
from backend.eventstore.retry import retry_on_conflict
from domain.application import DECIDED, Application, MaterialRef, Status
from domain.rectification import Rectification, rectification_id

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = [
    "add_note",
    "escalate",
    "evaluate",
    "force_transition",
    "hand_over",
    "provide_materials",
    "reassign",
    "record_rectification",
    "reject",
    "request_supplement",
    "resend_notifications",
    "resume",
    "suspend",
    "watch_deadlines",
]

# where deferred (容缺) materials can still be handed in, so where they can be overdue
_AWAITING_MATERIALS = [s for s in get_args(Status) if s not in DECIDED]


async def request_supplement(
    services: Services, staff: Principal, application_id: UUID, missing: list[str], note: str
) -> dict[str, Any]:
    """一次性告知: every missing material in one notice."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.request_supplement(actor=staff.actor(), missing=missing, note=note, at=now),
    )


async def provide_materials(
    services: Services,
    citizen: Principal,
    application_id: UUID,
    materials: tuple[MaterialRef, ...],
) -> dict[str, Any]:
    """The citizen's answer to a supplement request, or deferred materials handed in."""
    await check_files_owned(services, UUID(citizen.id), materials)
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.provide_materials(
            actor=citizen.actor(), materials=materials, calendar=services.calendar, at=now
        ),
    )


async def reject(
    services: Services, staff: Principal, application_id: UUID, reason: str
) -> dict[str, Any]:
    """不予受理."""
    now = services.clock()
    return await act_on(
        services, application_id, lambda a: a.reject(actor=staff.actor(), reason=reason, at=now)
    )


async def suspend(
    services: Services, staff: Principal, application_id: UUID, reason: str
) -> dict[str, Any]:
    """Stop the clock."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.suspend(actor=staff.actor(), reason=reason, calendar=services.calendar, at=now),
    )


async def resume(services: Services, staff: Principal, application_id: UUID) -> dict[str, Any]:
    """Start the clock again."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.resume(actor=staff.actor(), calendar=services.calendar, at=now),
    )


async def hand_over(services: Services, staff: Principal, application_id: UUID) -> dict[str, Any]:
    """The result was collected at the window."""
    now = services.clock()
    return await act_on(
        services, application_id, lambda a: a.hand_over(actor=staff.actor(), at=now)
    )


async def reassign(
    services: Services,
    staff: Principal,
    application_id: UUID,
    *,
    department: str,
    from_department: str | None,
    reason: str,
) -> dict[str, Any]:
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
) -> dict[str, Any]:
    """督办."""
    now = services.clock()
    return await act_on(
        services, application_id, lambda a: a.escalate(actor=staff.actor(), note=note, at=now)
    )


async def add_note(
    services: Services, staff: Principal, application_id: UUID, text: str
) -> dict[str, Any]:
    """An internal note."""
    now = services.clock()
    return await act_on(
        services, application_id, lambda a: a.add_note(actor=staff.actor(), text=text, at=now)
    )


async def force_transition(
    services: Services, staff: Principal, application_id: UUID, status: str, reason: str
) -> dict[str, Any]:
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


async def evaluate(
    services: Services, citizen: Principal, application_id: UUID, rating: int, comment: str
) -> dict[str, Any]:
    """好差评; a rating of 1 or 2 opens a rectification in the same transaction."""
    now = services.clock()

    async def attempt() -> dict[str, Any]:
        async with services.repository.session() as session:
            application = await session.get(Application, application_id)
            application.evaluate(actor=citizen.actor(), rating=rating, comment=comment, at=now)
            changed: list[Any] = [application]
            if rating <= 2:
                changed.append(
                    Rectification.open(
                        application_id=application.id,
                        number=application.number,
                        rating=rating,
                        comment=comment,
                        departments=list(application.departments),
                        at=now,
                    )
                )
            saved = await session.save(*changed)
        return {"id": str(application.id), "status": application.status, "position": saved.position}

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def record_rectification(
    services: Services, staff: Principal, application_id: UUID, step: str, note: str
) -> dict[str, Any]:
    """The supervisor's next step on a rectification."""
    now = services.clock()

    async def attempt() -> dict[str, Any]:
        item = await services.repository.get(Rectification, rectification_id(application_id))
        item.record(actor=staff.actor(), step=step, note=note, at=now)
        saved = await services.repository.save(item)
        # the same status as the rectification list shows: the step just recorded
        status = "closed" if item.closed else step
        return {"id": str(application_id), "status": status, "position": saved.position}

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def watch_deadlines(services: Services) -> int:
    """Record yellow and red cards and overdue deferred materials; return how many changed."""
    now = services.clock()
    today = now.date()
    # Only the cases a card or a flag may be due for (the domain decides exactly): a deadline
    # before the second working day from today; deferred materials of a case still open.
    rows = await services.pool.fetch(
        "SELECT id FROM application_view WHERE"
        " (status IN ('accepted', 'under_review') AND deadline < $2"
        "  AND NOT ('red' = ANY(warnings)))"
        " OR (deferred_due < $1 AND NOT deferred_overdue AND status = ANY($3::text[]))",
        today,
        services.calendar.add_working_days(today, 2),
        _AWAITING_MATERIALS,
    )
    changed = 0
    for row in rows:

        async def attempt(application_id: UUID = row["id"]) -> bool:
            application = await services.repository.get(Application, application_id)
            application.watch_deadline(today=today, calendar=services.calendar, at=now)
            if not application.pending_events:
                return False
            await services.repository.save(application)
            return True

        changed += await retry_on_conflict(attempt, services.settings.command_retries)
    return changed


async def resend_notifications(
    services: Services, staff: Principal, application_id: UUID, reason: str
) -> dict[str, Any]:
    """Put the application's failed notifications back in the outbox, as one recorded action."""
    now = services.clock()

    async def attempt() -> dict[str, Any]:
        async with services.repository.session() as session:
            application = await session.get(Application, application_id)
            application.ensure_visible_to(staff.actor())
            failed = await session.conn.fetchval(
                "SELECT count(*) FROM notification_outbox"
                " WHERE application_id = $1 AND status = 'failed'",
                application_id,
            )
            application.resend_notifications(
                actor=staff.actor(), reason=reason, failed=int(failed), at=now
            )
            await session.conn.execute(
                "UPDATE notification_outbox SET status = 'pending', attempts = 0,"
                " next_attempt_at = now(), last_error = NULL, claimed_until = NULL,"
                " claim_token = NULL, updated_at = now()"
                " WHERE application_id = $1 AND status = 'failed'",
                application_id,
            )
            saved = await session.save(application)
        return {"id": str(application.id), "status": application.status, "position": saved.position}

    return await retry_on_conflict(attempt, services.settings.command_retries)
