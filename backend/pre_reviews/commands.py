"""Pre-reviews (预审): the citizen sends and revises a draft; a clerk of the lead department
answers it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from uuid import UUID

from backend.eventstore import chain
from backend.files.ownership import attach_files, unowned_files
from backend.handling import CommandAccepted, act_on_one
from backend.http.idempotency import Answer
from backend.pre_reviews.dto import PreReviewCreated
from domain.calendar import CST
from domain.catalog import ServiceDefinition, ServiceItem, service_item_id
from domain.errors import NotFound, ValidationFailed
from domain.prereview import PreReview, pre_review_number

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.auth.tokens import Principal
    from backend.eventstore import AfterInsert, Saved
    from backend.http.idempotency import Remember
    from backend.pre_reviews.dto import AnswerPreReview, DraftApplication
    from backend.services import Services
    from domain.application import MaterialRef

__all__ = ["answer", "due_at", "load", "request", "revise"]


def due_at(day: date | str | None) -> datetime | None:
    """An answer due on ``day`` is due by the end of that day, China time."""
    if day is None:
        return None
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time(23, 59, 59), CST)


async def load(services: Services, pre_review_id: UUID) -> PreReview:
    """The pre-review as its events make it; 404 ``pre_review_not_found`` when there is none."""
    try:
        return await services.repository.get(PreReview, pre_review_id)
    except NotFound:
        raise NotFound("预审不存在", code="pre_review_not_found") from None


async def _next_number(services: Services, day: date) -> str:
    sequence = await services.pool.fetchval(
        "INSERT INTO pre_review_numbers (day, last) VALUES ($1, 1)"
        " ON CONFLICT (day) DO UPDATE SET last = pre_review_numbers.last + 1 RETURNING last",
        day,
    )
    return pre_review_number(day, int(sequence))


def _uses(materials: tuple[MaterialRef, ...]) -> AfterInsert:
    """The draft's files are in use from now on (they stay the citizen's for the submission)."""

    async def attach(conn: asyncpg.Connection | PoolConnectionProxy, _: Saved) -> None:
        await attach_files(conn, (f for m in materials for f in m.files))

    return attach


async def _checked_draft(
    services: Services, citizen_id: UUID, draft: DraftApplication
) -> ServiceDefinition:
    """The item of the draft, once the draft may be sent: the citizen's own, its files the
    citizen's uploads, its situation and materials the item's (every fault in one answer)."""
    if draft.on_behalf_of is not None and draft.on_behalf_of != citizen_id:
        raise ValidationFailed(
            "预审仅限本人办理，暂不支持代办", {"onBehalfOf": "预审不能代他人申请"}
        )
    try:
        item = await services.repository.get(ServiceItem, service_item_id(draft.service_code))
    except NotFound:
        raise ValidationFailed("事项不存在", {"serviceCode": "没有该事项"}) from None
    errors = await unowned_files(services, citizen_id, draft.materials)
    try:
        PreReview.check_draft(item.definition, draft.situation_id, draft.materials)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.detail, {**exc.errors, **errors}) from None
    if errors:
        raise ValidationFailed("材料引用了不存在的文件", errors)
    return item.definition


async def request(
    services: Services,
    citizen: Principal,
    draft: DraftApplication,
    remember: Remember | None = None,
) -> Answer:
    """Send a draft to the item's lead department; the answer is due within one working day."""
    citizen_id = UUID(citizen.id)
    service = await _checked_draft(services, citizen_id, draft)
    now = services.clock()
    pre_review = PreReview.request(
        id=uuid.uuid4(),
        number=await _next_number(services, now.date()),
        citizen_id=citizen_id,
        service=service,
        situation_id=draft.situation_id,
        form=draft.form,
        materials=draft.materials,
        delivery=draft.delivery,
        calendar=services.calendar,
        at=now,
    )

    def answer(saved: Saved) -> Answer:
        body = PreReviewCreated(
            id=str(pre_review.id),
            number=pre_review.number,
            status=pre_review.status,
            due_at=due_at(pre_review.due),
            round=pre_review.round,
            position=saved.position,
        )
        return Answer(201, body)

    saved = await services.repository.save(
        pre_review,
        after_insert=chain(_uses(draft.materials), remember(answer) if remember else None),
    )
    return answer(saved)


async def _act(
    services: Services,
    pre_review_id: UUID,
    act: Callable[[PreReview], object],
    after_insert: AfterInsert | None = None,
) -> CommandAccepted:
    """Load the pre-review, let ``act`` call the domain, save; a lost race tries again."""
    return await act_on_one(services, lambda: load(services, pre_review_id), act, after_insert)


async def revise(
    services: Services, citizen: Principal, pre_review_id: UUID, draft: DraftApplication
) -> CommandAccepted:
    """Send the corrected draft again: the next round, answered within one working day."""
    citizen_id = UUID(citizen.id)
    # 404 before anything of the draft is checked: never tell whether another's exists
    existing = await load(services, pre_review_id)
    existing.ensure_visible_to(citizen.actor())
    service = await _checked_draft(services, citizen_id, draft)
    now = services.clock()
    return await _act(
        services,
        pre_review_id,
        lambda p: p.revise(
            actor=citizen.actor(),
            service=service,
            situation_id=draft.situation_id,
            form=draft.form,
            materials=draft.materials,
            delivery=draft.delivery,
            calendar=services.calendar,
            at=now,
        ),
        after_insert=_uses(draft.materials),
    )


async def answer(
    services: Services, staff: Principal, pre_review_id: UUID, body: AnswerPreReview
) -> CommandAccepted:
    """A clerk of the lead department answers this round, once and completely."""
    now = services.clock()
    return await _act(
        services,
        pre_review_id,
        lambda p: p.answer(
            actor=staff.actor(), ready=body.ready, missing=body.missing, note=body.note, at=now
        ),
    )
