"""A citizen's one submission for a life event (一件事一次办).

The bundle is checked whole before anything is saved: the answers, the merged form, and each
applicable item as its own submission would be (``plan_bundle``), then the files and
e-certificates once for all. Then the bundle is saved with every item's application id and
number, and each item that waits for nothing is submitted through the one submission path
(``backend.applications.submission``), under the id the bundle reserved for it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from uuid import UUID

from backend.applications.dto import SubmitApplication
from backend.applications.numbers import next_number
from backend.applications.submission import submit, uses
from backend.bundles.catalog import item_definitions
from backend.bundles.dto import BundleApplication, SubmitBundle, SubmittedBundle
from backend.certificates.use import named_certificates
from backend.eventstore import chain
from backend.eventstore.retry import retry_on_conflict
from backend.files.ownership import unowned_files
from backend.http.idempotency import Answer, Remember
from domain.application.personal_data import delivery_record
from domain.certificates.rules import certificate_errors
from domain.errors import NotFound, ValidationFailed
from domain.life_events import (
    Bundle,
    BundleItem,
    LifeEvent,
    life_event_id,
    plan_bundle,
    refusal_text,
)

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.auth.tokens import Principal
    from backend.eventstore import AfterInsert, Saved
    from backend.services import Services

__all__ = ["submit_bundle"]


async def _bundle_number(services: Services) -> str:
    today = services.clock().date()
    sequence = await services.pool.fetchval(
        "INSERT INTO bundle_numbers (day, last) VALUES ($1, 1)"
        " ON CONFLICT (day) DO UPDATE SET last = bundle_numbers.last + 1 RETURNING last",
        today,
    )
    return f"YJ{today:%Y%m%d}-{int(sequence):06d}"


def _members(bundle_id: UUID, items: list[BundleItem]) -> AfterInsert:
    """The rows that say which bundle each item's application belongs to."""

    async def insert(conn: asyncpg.Connection | PoolConnectionProxy, _: Saved) -> None:
        await conn.executemany(
            "INSERT INTO bundle_members (application_id, bundle_id, service_code)"
            " VALUES ($1, $2, $3)",
            [(UUID(i.application_id), bundle_id, i.service_code) for i in items],
        )

    return insert


async def _record_failures(services: Services, bundle_id: UUID, failed: dict[str, str]) -> int:
    """Items that could not be submitted after all: the bundle view shows them blocked, why."""

    async def attempt() -> int:
        bundle = await services.repository.get(Bundle, bundle_id)
        now = services.clock()
        for code, reason in failed.items():
            bundle.release_failed(code, reason, at=now)
        return (await services.repository.save(bundle)).position

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def submit_bundle(
    services: Services,
    citizen: Principal,
    command: SubmitBundle,
    remember: Remember | None = None,
) -> Answer:
    """Check the whole bundle, save it, submit the items that wait for nothing. ``remember``
    (Idempotency-Key) records the answer in the bundle's own transaction: a replay gets the
    bundle, its applications' ids and numbers, and the bundle's position (the items that were
    then submitted come after it; their own reads wait for them by their ids)."""
    caller = UUID(citizen.id)
    try:
        event = (
            await services.repository.get(LifeEvent, life_event_id(command.life_event_code))
        ).definition
    except NotFound:
        raise ValidationFailed(
            "没有这件“一件事”", {"lifeEventCode": "没有该一件事"}, code="unknown_life_event"
        ) from None
    definitions = await item_definitions(services, event.service_codes)
    plans = plan_bundle(
        event,
        definitions,
        answers=command.answers,
        form=command.form,
        materials=command.materials,
        delivery=command.delivery,
    )
    # the files and certificates once for the whole bundle, by the rules of a submission
    now = services.clock()
    applying = event.applicable(command.answers)
    merged = {m.id: m for m in event.materials(definitions, applying)}
    errors = await unowned_files(services, caller, command.materials)
    certificates, at_source = await named_certificates(
        services, command.materials, holder_id=caller, at=now
    )
    errors |= certificate_errors(
        command.materials, merged, certificates, applicant_id=caller, day=now.date()
    )
    errors |= at_source
    if errors:
        raise ValidationFailed("材料引用了不存在的文件或电子证照", errors)
    items = [
        BundleItem(
            service_code=plan.service_code,
            service_name=definitions[plan.service_code].name,
            department=definitions[plan.service_code].department,
            application_id=str(uuid.uuid4()),
            number=await next_number(services, plan.service_code),
            situation_id=plan.situation_id,
            fee=definitions[plan.service_code].fee,
            depends_on=plan.depends_on,
            supplied=plan.supplied,
        )
        for plan in plans
    ]
    bundle = Bundle.submit(
        id=uuid.uuid4(),
        number=await _bundle_number(services),
        citizen_id=caller,
        event=event,
        answers=command.answers,
        plans=plans,
        items=items,
        delivery=delivery_record(caller, command.delivery),
        at=now,
    )

    def answer(saved: Saved, position: int | None = None) -> Answer:
        return Answer(
            201,
            SubmittedBundle(
                id=str(bundle.id),
                number=bundle.number,
                applications=tuple(
                    BundleApplication(
                        service_code=i.service_code, id=i.application_id, number=i.number
                    )
                    for i in items
                ),
                position=position or saved.position,
            ),
        )

    # the uploads of items that wait are in use from now on (not cleaned up as unused)
    saved = await services.repository.save(
        bundle,
        after_insert=chain(
            uses(command.materials),
            _members(bundle.id, items),
            remember(answer) if remember else None,
        ),
    )
    position = saved.position
    failed: dict[str, str] = {}
    for plan, item in zip(plans, items, strict=True):
        if plan.waits:
            continue
        body = SubmitApplication(
            service_code=plan.service_code,
            situation_id=plan.situation_id,
            materials=plan.materials,
            delivery=command.delivery,
            form=plan.form,
        )
        try:
            submitted = await submit(
                services, citizen, body, reserved=(UUID(item.application_id), item.number)
            )
        except ValidationFailed as exc:
            # checked above: only a change in between (a certificate revoked) gets here; the
            # others go on, and the bundle view says why this one did not
            failed[plan.service_code] = refusal_text(exc)
            continue
        position = max(position, getattr(submitted.body, "position", 0))
    if failed:
        position = await _record_failures(services, bundle.id, failed)
    return answer(saved, position)
