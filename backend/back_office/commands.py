"""The departments' commands: accept, ask once for what is missing, reject, review, pause,
issue and hand over the result, note; and the deadline watcher."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from msgspec.structs import replace

from backend.bundles.release import after_result_issued
from backend.certificates.issue import result_certificate
from backend.deliveries.issue import save_issued
from backend.eventstore.retry import retry_on_conflict
from backend.handling import CommandAccepted, accepted, act_on
from domain.application import Application
from domain.application.status import ACTIVE, AWAITING_MATERIALS

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = [
    "accept",
    "add_note",
    "hand_over",
    "issue_result",
    "reject",
    "request_supplement",
    "resume",
    "review",
    "suspend",
    "watch_deadlines",
]


async def accept(
    services: Services, staff: Principal, application_id: UUID, deferred_due: date | None = None
) -> CommandAccepted:
    """受理; the promised deadline counts working days from today; 容缺 materials get a due date."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.accept(
            actor=staff.actor(), calendar=services.calendar, at=now, deferred_due=deferred_due
        ),
    )


async def request_supplement(
    services: Services, staff: Principal, application_id: UUID, missing: list[str], note: str
) -> CommandAccepted:
    """一次性告知: every missing material in one notice."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.request_supplement(actor=staff.actor(), missing=missing, note=note, at=now),
    )


async def reject(
    services: Services, staff: Principal, application_id: UUID, reason: str
) -> CommandAccepted:
    """不予受理."""
    now = services.clock()
    return await act_on(
        services, application_id, lambda a: a.reject(actor=staff.actor(), reason=reason, at=now)
    )


async def review(
    services: Services,
    staff: Principal,
    application_id: UUID,
    *,
    decision: Literal["approve", "deny"],
    opinion: str,
    department: str | None = None,
) -> CommandAccepted:
    """A department's decision on the current review stage."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.review(
            actor=staff.actor(), decision=decision, opinion=opinion, department=department, at=now
        ),
    )


async def suspend(
    services: Services, staff: Principal, application_id: UUID, reason: str
) -> CommandAccepted:
    """Stop the clock."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.suspend(actor=staff.actor(), reason=reason, calendar=services.calendar, at=now),
    )


async def resume(services: Services, staff: Principal, application_id: UUID) -> CommandAccepted:
    """Start the clock again."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.resume(actor=staff.actor(), calendar=services.calendar, at=now),
    )


async def issue_result(
    services: Services, staff: Principal, application_id: UUID, document_no: str
) -> CommandAccepted:
    """出证; a result sent by courier gets its courier order in the same transaction (booked
    right after, outside it: see ``backend.deliveries.dispatcher``), and the result of an item
    that issues a certificate becomes the applicant's e-certificate in it too."""
    now = services.clock()

    async def attempt() -> CommandAccepted:
        application = await services.repository.get(Application, application_id)
        application.issue_result(actor=staff.actor(), document_no=document_no, at=now)
        issued = await result_certificate(services, application, now)
        if issued is None:
            saved = await save_issued(services, application, now)
        else:  # 出证即发照: the e-certificate and its PDF's file row in the same transaction
            certificate, document = issued
            saved = await save_issued(
                services, application, now, also=(certificate,), after_insert=document.row
            )
        return accepted(application.id, application.status, saved)

    answer = await retry_on_conflict(attempt, services.settings.command_retries)
    # 一件事: the items of its bundle that waited for this result are submitted now
    position = await after_result_issued(services, application_id)
    return answer if position <= answer.position else replace(answer, position=position)


async def hand_over(services: Services, staff: Principal, application_id: UUID) -> CommandAccepted:
    """The result was collected at the window."""
    now = services.clock()
    return await act_on(
        services, application_id, lambda a: a.hand_over(actor=staff.actor(), at=now)
    )


async def add_note(
    services: Services, staff: Principal, application_id: UUID, text: str
) -> CommandAccepted:
    """An internal note."""
    now = services.clock()
    return await act_on(
        services, application_id, lambda a: a.add_note(actor=staff.actor(), text=text, at=now)
    )


async def watch_deadlines(services: Services) -> int:
    """Record yellow and red cards and overdue deferred materials; return how many changed."""
    now = services.clock()
    today = now.date()
    # Only the cases a card or a flag may be due for (the domain decides exactly): a deadline
    # before the second working day from today; deferred materials of a case still open.
    rows = await services.pool.fetch(
        "SELECT id FROM application_view WHERE"
        " (status = ANY($3::text[]) AND deadline < $2 AND NOT ('red' = ANY(warnings)))"
        " OR (deferred_due < $1 AND NOT deferred_overdue AND status = ANY($4::text[]))",
        today,
        services.calendar.add_working_days(today, 2),
        sorted(ACTIVE),
        sorted(AWAITING_MATERIALS),
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
