"""Citizens' commands on their applications (办件): submit (``submission``), hand in
materials, withdraw, rate."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from backend.applications.submission import submit, uses
from backend.certificates.use import load_certificates, named_certificates
from backend.eventstore.retry import retry_on_conflict
from backend.files.ownership import check_files_owned
from backend.handling import CommandAccepted, accepted, act_on
from backend.payments import refunds
from domain import policies
from domain.application import Application, MaterialRef
from domain.certificates.rules import certificate_errors
from domain.errors import ValidationFailed

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["evaluate", "provide_materials", "submit", "withdraw"]


async def provide_materials(
    services: Services,
    citizen: Principal,
    application_id: UUID,
    materials: tuple[MaterialRef, ...],
) -> CommandAccepted:
    """The citizen's answer to a supplement request, or deferred materials handed in; an
    e-certificate named here is checked as at submission, and its use recorded with them."""
    citizen_id = UUID(citizen.id)
    await check_files_owned(services, citizen_id, materials)
    now = services.clock()
    certificates, errors = await named_certificates(
        services, materials, holder_id=citizen_id, at=now
    )

    async def attempt() -> CommandAccepted:
        application = await services.repository.get(Application, application_id)
        application.provide_materials(
            actor=citizen.actor(), materials=materials, calendar=services.calendar, at=now
        )
        pinned = {m.id: m for m in application.service.materials}
        found = certificate_errors(
            materials, pinned, certificates, applicant_id=application.citizen_id, day=now.date()
        )
        if found or errors:
            raise ValidationFailed("材料引用了不存在的电子证照", found | errors)
        fresh = await load_certificates(services, materials) if certificates else {}
        used = policies.record_certificate_uses(
            application, materials, fresh, actor=citizen.actor(), at=now
        )
        saved = await services.repository.save(application, *used, after_insert=uses(materials))
        return accepted(application.id, application.status, saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)


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
