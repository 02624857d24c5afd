"""Submitting an application (办件申请), by the applicant or by their agent (代办).

Every field at fault comes back in one answer: the guide's rules, the files' owner and the
e-certificates (the applicant's own, valid, of a type the material accepts; a platform
certificate checked again at the platform). The application and every certificate it uses
(用证留痕) are saved in one transaction, so a use is recorded exactly when the application is.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from uuid import UUID

from backend.applications.admission import admit, current_item, reload_item
from backend.applications.dto import SubmitApplication, SubmittedApplication
from backend.applications.numbers import next_number
from backend.certificates.use import load_certificates, named_certificates
from backend.eventstore.retry import retry_on_conflict
from backend.files.ownership import FilesInUse, attach_files, file_errors
from backend.http.idempotency import Answer
from backend.pre_reviews.use import check_pre_review, use_pre_review
from backend.proxies.access import acting_for
from domain import policies
from domain.application import Agent, Application, MaterialRef
from domain.certificates.rules import certificate_errors
from domain.errors import ConflictError, NotFound, ValidationFailed

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.auth.tokens import Principal
    from backend.eventstore import AfterInsert, Saved
    from backend.eventstore.versioned import Versioned
    from backend.http.idempotency import Remember
    from backend.services import Services
    from domain.catalog import ServiceDefinition

__all__ = ["submit", "uses"]

# times the service item is loaded again when another process revised it meanwhile
_ITEM_RELOADS = 3


def uses(materials: tuple[MaterialRef, ...]) -> AfterInsert:
    """The rows a command naming ``materials`` implies: their files are in use from now on."""

    async def attach(conn: asyncpg.Connection | PoolConnectionProxy, _: Saved) -> None:
        await attach_files(conn, (f for m in materials for f in m.files))

    return attach


async def _agent(
    services: Services, caller: UUID, command: SubmitApplication
) -> tuple[UUID, Agent | None, bool]:
    """(applicant, agent, may the submitter use the applicant's certificates)."""
    principal = command.on_behalf_of
    if principal is None or principal == caller:
        return caller, None, True
    wants = any(m.certificate_id is not None for m in command.materials)
    authorisation = await acting_for(
        services, caller, principal, command.service_code, services.clock(), with_certificates=wants
    )
    agent = Agent(
        citizen_id=caller, authorisation_id=authorisation.id, name=authorisation.agent_name
    )
    return principal, agent, authorisation.use_certificates


async def _item(
    services: Services, code: str, *, reload: bool = False
) -> Versioned[ServiceDefinition]:
    """The item to check against: this process's copy, or (``reload``) replayed again."""
    try:
        return await (reload_item if reload else current_item)(services, code)
    except NotFound:
        raise ValidationFailed("事项不存在", {"serviceCode": "没有该事项"}) from None


async def submit(
    services: Services,
    citizen: Principal,
    command: SubmitApplication,
    remember: Remember | None = None,
    *,
    reserved: tuple[UUID, str] | None = None,
) -> Answer:
    """Submit an application against the current version of the service item; a refused
    submission uses no application number (the number is drawn once it passed every check).
    With ``onBehalfOf`` the caller is an agent: 404 without an active authorisation that
    covers the service; the application is the principal's. ``reserved``: the id and number
    drawn for it before (an item of a bundle, 一件事)."""
    caller = UUID(citizen.id)
    applicant, agent, may_use = await _agent(services, caller, command)
    now = services.clock()
    item = await _item(services, command.service_code)
    file_ids = [f for m in command.materials for f in m.files]
    pre_review_id = command.pre_review_id  # 预审: a ready one marks the application
    for _ in range(_ITEM_RELOADS):
        situation = item.value.situation(command.situation_id)
        materials = {m.id: m for m in situation.materials} if situation is not None else {}
        # the applicant's certificates; the submitter's own uploads (in ``admit``, below)
        certificates, errors_at_source = await named_certificates(
            services, command.materials, holder_id=applicant, at=now
        )
        errors = certificate_errors(
            command.materials,
            materials,
            certificates,
            applicant_id=applicant,
            day=now.date(),
            may_use=may_use,
        )
        errors |= errors_at_source
        refused: ValidationFailed | None = None
        try:
            Application.check(
                service=item.value,
                situation_id=command.situation_id,
                form=command.form,
                materials=command.materials,
                delivery=command.delivery,
            )
        except ValidationFailed as exc:
            refused = exc
        # the number is drawn with the checks when nothing is left to check after them
        draw = refused is None and not errors and reserved is None and pre_review_id is None
        admission = await admit(
            services, item, owner=caller, file_ids=file_ids, day=now.date(), draw=draw
        )
        if admission.item_version == item.version:
            break
        item = await _item(services, command.service_code, reload=True)  # revised meanwhile
    else:
        raise ConflictError("事项正在更新，请重试")
    errors = file_errors(command.materials, admission.owned) | errors
    if refused is not None:
        raise ValidationFailed(refused.detail, {**refused.errors, **errors}) from None
    if errors:
        raise ValidationFailed("材料引用了不存在的文件或电子证照", errors)
    if pre_review_id is not None:
        await check_pre_review(
            services, pre_review_id, applicant=applicant, service_code=command.service_code
        )
    if reserved is None:
        number = admission.number or await next_number(services, command.service_code)
        reserved = uuid.uuid4(), number
    application_id, number = reserved

    async def attempt() -> Answer:
        pre_review = None
        if pre_review_id is not None:
            pre_review = await use_pre_review(
                services,
                pre_review_id,
                applicant=applicant,
                service_code=command.service_code,
                situation_id=command.situation_id,
                form=command.form,
                materials=command.materials,
                delivery=command.delivery,
                application_id=application_id,
                application_number=number,
                at=now,
            )
        application = Application.submit(
            id=application_id,
            number=number,
            citizen_id=applicant,
            service=item.value,
            service_version=item.version,
            situation_id=command.situation_id,
            form=command.form,
            materials=command.materials,
            delivery=command.delivery,
            at=now,
            agent=agent,
            pre_review=pre_review.mark if pre_review is not None else None,
        )
        # fresh copies: a concurrent use or revocation is seen (or loses the race: retried)
        fresh = await load_certificates(services, command.materials) if certificates else {}
        used = policies.record_certificate_uses(
            application, command.materials, fresh, actor=citizen.actor(), at=now
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
            *used,
            *((pre_review.aggregate,) if pre_review is not None else ()),
            rows=FilesInUse(f for m in command.materials for f in m.files),
            after_insert=remember(answer) if remember else None,
        )
        return answer(saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)
