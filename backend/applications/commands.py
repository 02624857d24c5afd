"""Command handlers for applications (办件)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import msgspec

from backend.deliveries import commands as deliveries
from backend.eventstore.retry import retry_on_conflict
from backend.http.idempotency import Answer
from domain.application import Application, Delivery, MaterialRef
from domain.catalog import ServiceItem, service_item_id
from domain.errors import NotFound, ValidationFailed
from domain.numbering import application_number, compact_code

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.eventstore import Saved
    from backend.http.idempotency import Remember
    from backend.services import Services

__all__ = [
    "SubmitApplication",
    "accept",
    "act_on",
    "issue_result",
    "review",
    "submit",
    "withdraw",
]


class SubmitApplication(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """What a citizen submits."""

    service_code: str
    situation_id: str
    materials: tuple[MaterialRef, ...]
    delivery: Delivery
    form: dict[str, Any] = msgspec.field(default_factory=dict)


async def _next_number(services: Services, service_code: str) -> str:
    today = services.clock().date()
    # counted per compact code, the part the number shows, so two codes never share a number
    compact = compact_code(service_code)
    # Its own transaction, committed without waiting for the WAL flush: the row lock of the
    # day's counter is released at once instead of after an fsync, so submissions of one
    # service do not queue behind each other's disk writes. The save of the application
    # flushes the WAL after this, so a number is durable whenever an application holds it; a
    # crash in between loses only a number nobody holds (a gap, as after any failed submit).
    sequence = await services.pool.fetchval(
        "INSERT INTO application_numbers (day, service_code, last)"
        " SELECT $1, $2, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS s"
        " ON CONFLICT (day, service_code) DO UPDATE SET last = application_numbers.last + 1"
        " RETURNING last",
        today,
        compact,
    )
    return application_number(today, service_code, int(sequence))


async def check_files_owned(
    services: Services, citizen_id: UUID, refs: tuple[MaterialRef, ...]
) -> None:
    file_ids = [r.file_id for r in refs if r.file_id is not None]
    if not file_ids:
        return
    owned = {
        r[0]
        for r in await services.pool.fetch(
            "SELECT id FROM files WHERE owner_id = $1 AND id = ANY($2::uuid[])",
            citizen_id,
            file_ids,
        )
    }
    errors = {
        f"materials[{i}].fileId": "unknown file"
        for i, r in enumerate(refs)
        if r.file_id is not None and r.file_id not in owned
    }
    if errors:
        raise ValidationFailed("materials refer to unknown files", errors)


async def submit(
    services: Services,
    citizen: Principal,
    command: SubmitApplication,
    remember: Remember | None = None,
) -> Answer:
    """Submit an application against the current version of the service item."""
    try:
        item = await services.repository.get(ServiceItem, service_item_id(command.service_code))
    except NotFound:
        raise ValidationFailed("unknown service", {"serviceCode": "no such service item"}) from None
    citizen_id = UUID(citizen.id)
    await check_files_owned(services, citizen_id, command.materials)
    application = Application.submit(
        id=uuid.uuid4(),
        number=await _next_number(services, command.service_code),
        citizen_id=citizen_id,
        service=item.definition,
        service_version=item.version,
        situation_id=command.situation_id,
        form=command.form,
        materials=command.materials,
        delivery=command.delivery,
        at=services.clock(),
    )

    def answer(saved: Saved) -> Answer:
        return Answer(
            201,
            {
                "id": str(application.id),
                "number": application.number,
                "status": application.status,
                "position": saved.position,
            },
        )

    saved = await services.repository.save(
        application, after_insert=remember(answer) if remember else None
    )
    return answer(saved)


async def act_on(
    services: Services, application_id: UUID, act: Callable[[Application], None]
) -> dict[str, Any]:
    """Load, act, save, retrying on a concurrent change; the answer carries the position."""

    async def attempt() -> dict[str, Any]:
        application = await services.repository.get(Application, application_id)
        act(application)
        saved = await services.repository.save(application)
        return {"id": str(application.id), "status": application.status, "position": saved.position}

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def accept(
    services: Services,
    staff: Principal,
    application_id: UUID,
    deferred_due: date | None = None,
) -> dict[str, Any]:
    """受理; the promised deadline counts working days from today; 容缺 materials get a due date."""
    now = services.clock()

    return await act_on(
        services,
        application_id,
        lambda a: a.accept(
            actor=staff.actor(), calendar=services.calendar, at=now, deferred_due=deferred_due
        ),
    )


async def review(
    services: Services,
    staff: Principal,
    application_id: UUID,
    *,
    decision: Literal["approve", "deny"],
    opinion: str,
    department: str | None = None,
) -> dict[str, Any]:
    """A department's decision on the current review stage."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.review(
            actor=staff.actor(),
            decision=decision,
            opinion=opinion,
            department=department,
            at=now,
        ),
    )


async def issue_result(
    services: Services, staff: Principal, application_id: UUID, document_no: str
) -> dict[str, Any]:
    """出证; a result sent by courier gets its courier order in the same transaction (booked
    right after, outside it: see ``backend.deliveries.dispatcher``)."""
    now = services.clock()

    async def attempt() -> dict[str, Any]:
        application = await services.repository.get(Application, application_id)
        application.issue_result(actor=staff.actor(), document_no=document_no, at=now)
        saved = await deliveries.save_issued(services, application, now)
        return {"id": str(application.id), "status": application.status, "position": saved.position}

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def withdraw(
    services: Services, citizen: Principal, application_id: UUID, reason: str
) -> dict[str, Any]:
    """The citizen withdraws before a decision."""
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.withdraw(actor=citizen.actor(), reason=reason, at=now),
    )
