"""Citizens' commands on their applications (办件): submit, hand in materials, withdraw, rate."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from uuid import UUID

from backend.applications.dto import SubmitApplication, SubmittedApplication
from backend.eventstore import chain
from backend.eventstore.retry import retry_on_conflict
from backend.files.ownership import attach_files, check_files_owned, unowned_files
from backend.handling import CommandAccepted, accepted, act_on
from backend.http.idempotency import Answer
from backend.payments import refunds
from domain import policies
from domain.application import Application, MaterialRef
from domain.catalog import ServiceItem, service_item_id
from domain.errors import NotFound, ValidationFailed
from domain.numbering import application_number, compact_code

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.auth.tokens import Principal
    from backend.eventstore import AfterInsert, Saved
    from backend.http.idempotency import Remember
    from backend.services import Services

__all__ = ["evaluate", "provide_materials", "submit", "withdraw"]


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


async def submit(
    services: Services,
    citizen: Principal,
    command: SubmitApplication,
    remember: Remember | None = None,
) -> Answer:
    """Submit an application against the current version of the service item; a refused
    submission uses no application number (the number is drawn once it passed every check)."""
    try:
        item = await services.repository.get(ServiceItem, service_item_id(command.service_code))
    except NotFound:
        raise ValidationFailed("事项不存在", {"serviceCode": "没有该事项"}) from None
    citizen_id = UUID(citizen.id)
    # every field at fault in one answer: the guide's rules and the files' owner
    errors = await unowned_files(services, citizen_id, command.materials)
    try:
        Application.check(
            service=item.definition,
            situation_id=command.situation_id,
            form=command.form,
            materials=command.materials,
            delivery=command.delivery,
        )
    except ValidationFailed as exc:
        raise ValidationFailed(exc.detail, {**exc.errors, **errors}) from None
    if errors:
        raise ValidationFailed("材料引用了不存在的文件", errors)
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
        body = SubmittedApplication(
            id=str(application.id),
            number=application.number,
            status=application.status,
            position=saved.position,
        )
        return Answer(201, body)

    saved = await services.repository.save(
        application,
        after_insert=chain(uses(command.materials), remember(answer) if remember else None),
    )
    return answer(saved)


def uses(materials: tuple[MaterialRef, ...]) -> AfterInsert:
    """The rows a command naming ``materials`` implies: their files are in use from now on."""

    async def attach(conn: asyncpg.Connection | PoolConnectionProxy, _: Saved) -> None:
        await attach_files(conn, (f for m in materials for f in m.files))

    return attach


async def provide_materials(
    services: Services,
    citizen: Principal,
    application_id: UUID,
    materials: tuple[MaterialRef, ...],
) -> CommandAccepted:
    """The citizen's answer to a supplement request, or deferred materials handed in."""
    await check_files_owned(services, UUID(citizen.id), materials)
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: a.provide_materials(
            actor=citizen.actor(), materials=materials, calendar=services.calendar, at=now
        ),
        after_insert=uses(materials),
    )


async def withdraw(
    services: Services, citizen: Principal, application_id: UUID, reason: str
) -> CommandAccepted:
    """The citizen withdraws; a fee paid for a result not yet issued is refunded."""
    paid = await refunds.paid_order_of(services, application_id)
    if paid is not None:
        return await refunds.withdraw_and_refund(services, citizen, application_id, reason, paid)
    now = services.clock()
    return await act_on(
        services,
        application_id,
        lambda a: policies.withdraw(a, None, actor=citizen.actor(), reason=reason, at=now),
    )


async def evaluate(
    services: Services, citizen: Principal, application_id: UUID, rating: int, comment: str
) -> CommandAccepted:
    """好差评; a bad rating opens a rectification in the same transaction."""
    now = services.clock()

    async def attempt() -> CommandAccepted:
        async with services.repository.session() as session:
            application = await session.get(Application, application_id)
            rectification = policies.evaluate(
                application, actor=citizen.actor(), rating=rating, comment=comment, at=now
            )
            changed = [application] if rectification is None else [application, rectification]
            saved = await session.save(*changed)
        return accepted(application.id, application.status, saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)
