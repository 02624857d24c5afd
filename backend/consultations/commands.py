"""Consultations (咨询): the citizen asks, follows up and closes; the department replies or
forwards; the watcher records yellow and red."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from uuid import UUID

from backend.catalog.queries import departments
from backend.consultations.dto import AskConsultation, AskedConsultation
from backend.eventstore import chain
from backend.eventstore.retry import retry_on_conflict
from backend.files.ownership import attach_files, check_file_ids_owned
from backend.handling import CommandAccepted, act_on_one
from backend.http.idempotency import Answer
from domain.calendar import CST
from domain.catalog import LegalBasis, ServiceItem, service_item_id
from domain.consultation import Consultation
from domain.errors import NotFound, ValidationFailed
from domain.numbering import consultation_number

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.auth.tokens import Principal
    from backend.consultations.dto import LegalBasisBody
    from backend.eventstore import AfterInsert, Saved
    from backend.http.idempotency import Remember
    from backend.services import Services

__all__ = [
    "ask",
    "close",
    "due_at",
    "follow_up",
    "forward",
    "reply",
    "watch_consultations",
]


def due_at(day: date | str | None) -> datetime | None:
    """A reply due on ``day`` is due by the end of that day, China time."""
    if day is None:
        return None
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time(23, 59, 59), CST)


async def _next_number(services: Services, day: date) -> str:
    sequence = await services.pool.fetchval(
        "INSERT INTO consultation_numbers (day, last) VALUES ($1, 1)"
        " ON CONFLICT (day) DO UPDATE SET last = consultation_numbers.last + 1 RETURNING last",
        day,
    )
    return consultation_number(day, int(sequence))


def _uses(file_ids: tuple[UUID, ...]) -> AfterInsert:
    async def attach(conn: asyncpg.Connection | PoolConnectionProxy, _: Saved) -> None:
        await attach_files(conn, file_ids)

    return attach


async def ask(
    services: Services,
    citizen: Principal,
    command: AskConsultation,
    remember: Remember | None = None,
) -> Answer:
    """A citizen asks the department of a service item; the reply is due in two working days."""
    try:
        item = await services.repository.get(ServiceItem, service_item_id(command.service_code))
    except NotFound:
        raise ValidationFailed("事项不存在", {"serviceCode": "没有该事项"}) from None
    citizen_id = UUID(citizen.id)
    files = [str(f) for f in command.file_ids]
    Consultation.check_question(command.question, files)
    await check_file_ids_owned(services, citizen_id, command.file_ids)
    now = services.clock()
    definition = item.definition
    consultation = Consultation.ask(
        id=uuid.uuid4(),
        number=await _next_number(services, now.date()),
        citizen_id=citizen_id,
        service_code=definition.code,
        service_name=definition.name,
        department=definition.department,
        question=command.question,
        file_ids=files,
        calendar=services.calendar,
        at=now,
    )

    def answer(saved: Saved) -> Answer:
        body = AskedConsultation(
            id=str(consultation.id),
            number=consultation.number,
            status=consultation.status,
            reply_due_at=due_at(consultation.reply_due),
            position=saved.position,
        )
        return Answer(201, body)

    saved = await services.repository.save(
        consultation,
        after_insert=chain(_uses(command.file_ids), remember(answer) if remember else None),
    )
    return answer(saved)


async def _act(
    services: Services,
    consultation_id: UUID,
    act: Callable[[Consultation], object],
    after_insert: AfterInsert | None = None,
) -> CommandAccepted:
    """Load the consultation, let ``act`` call the domain, save; a lost race tries again."""
    return await act_on_one(
        services, lambda: services.repository.get(Consultation, consultation_id), act, after_insert
    )


async def follow_up(
    services: Services,
    citizen: Principal,
    consultation_id: UUID,
    text: str,
    file_ids: tuple[UUID, ...],
) -> CommandAccepted:
    """The asker writes again (a new reply period once the thread was answered)."""
    await check_file_ids_owned(services, UUID(citizen.id), file_ids)
    now = services.clock()
    return await _act(
        services,
        consultation_id,
        lambda c: c.follow_up(
            actor=citizen.actor(),
            text=text,
            file_ids=[str(f) for f in file_ids],
            calendar=services.calendar,
            at=now,
        ),
        after_insert=_uses(file_ids),
    )


async def close(
    services: Services, citizen: Principal, consultation_id: UUID, rating: int | None
) -> CommandAccepted:
    """The asker closes the thread, rating it 1..5 if they like."""
    now = services.clock()
    return await _act(
        services,
        consultation_id,
        lambda c: c.close(actor=citizen.actor(), rating=rating, at=now),
    )


async def reply(
    services: Services,
    staff: Principal,
    consultation_id: UUID,
    text: str,
    legal_basis: LegalBasisBody | None,
) -> CommandAccepted:
    """The holding department answers (the citizen is told by subscribe message)."""
    basis = None
    if legal_basis is not None:
        basis = LegalBasis(name=legal_basis.name, number=legal_basis.number)
    now = services.clock()
    return await _act(
        services,
        consultation_id,
        lambda c: c.reply(actor=staff.actor(), text=text, legal_basis=basis, at=now),
    )


async def forward(
    services: Services, staff: Principal, consultation_id: UUID, department: str, reason: str
) -> CommandAccepted:
    """转办 to another department of the catalogue (the reply is then due in three working
    days from the question)."""
    known = await departments(services.pool)
    now = services.clock()
    return await _act(
        services,
        consultation_id,
        lambda c: c.forward(
            actor=staff.actor(),
            department=department,
            reason=reason,
            departments=known,
            calendar=services.calendar,
            at=now,
        ),
    )


async def watch_consultations(services: Services) -> int:
    """Record yellow and red on open consultations; return how many changed."""
    now = services.clock()
    today = now.date()
    rows = await services.pool.fetch(
        "SELECT id FROM consultation_view WHERE status = 'open' AND reply_due < $1"
        " AND NOT ('red' = ANY(warnings))",
        services.calendar.add_working_days(today, 2),  # a superset; the domain decides
    )
    changed = 0
    for row in rows:

        async def attempt(consultation_id: UUID = row["id"]) -> bool:
            consultation = await services.repository.get(Consultation, consultation_id)
            consultation.watch_deadline(today=today, calendar=services.calendar, at=now)
            if not consultation.pending_events:
                return False
            await services.repository.save(consultation)
            return True

        changed += await retry_on_conflict(attempt, services.settings.command_retries)
    return changed
