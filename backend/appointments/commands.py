"""Command handlers for appointments: book, cancel, check in, record no-shows.

Consistency (see docs/appointments.md): a booking writes the citizen's ``CitizenBookings``, the
``Slot`` and the new ``Appointment`` in ONE transaction. Writers are serialised with
transaction-scoped advisory locks, always in the same order -- ``citizen:{id}`` first, then
``slot:{slotId}`` -- so concurrent bookings of a slot queue up instead of failing on version
conflicts, and two lock holders can never wait for each other. Everything that can be read
before (hall, service, application) is read before the transaction's connection is taken, so
a transaction never needs a second pool connection.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import asyncpg

from backend.appointments.dto import BookAppointment, BookedAppointment, CheckedIn
from backend.appointments.halls import load_hall
from backend.eventstore.retry import retry_on_conflict
from backend.http.idempotency import Answer
from domain.application import Application
from domain.appointment import (
    Appointment,
    BookingPolicy,
    check_bookable,
    local_date,
    queue_number,
)
from domain.attendance import CitizenBookings, citizen_bookings_id
from domain.calendar import CST
from domain.catalog import ServiceDefinition, ServiceItem, service_item_id
from domain.errors import ConflictError, NotFound, ValidationFailed
from domain.halls import parse_slot_id
from domain.slot import Slot, slot_aggregate_id

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from backend.auth.tokens import Principal
    from backend.eventstore import Saved, Session
    from backend.http.idempotency import Remember
    from backend.services import Services
    from backend.settings import Settings

__all__ = [
    "BookAppointment",
    "book",
    "booking_policy",
    "cancel",
    "check_in",
    "record_no_shows",
    "send_reminders",
]

# How long a command waits for another writer of the same citizen or slot before giving up.
_LOCK_TIMEOUT = "10s"


def booking_policy(settings: Settings) -> BookingPolicy:
    """The booking rules' numbers, from the settings."""
    return BookingPolicy(
        min_days_ahead=settings.appointment_min_days_ahead,
        max_days_ahead=settings.appointment_max_days_ahead,
        cancel_cutoff=timedelta(minutes=settings.appointment_cancel_cutoff_minutes),
        no_show_grace=timedelta(minutes=settings.appointment_no_show_grace_minutes),
        no_show_limit=settings.appointment_no_show_limit,
        no_show_window_days=settings.appointment_no_show_window_days,
        block_days=settings.appointment_block_days,
    )


@contextlib.asynccontextmanager
async def _transaction(services: Services) -> AsyncIterator[Session]:
    """One transaction whose lock waits give up after ``_LOCK_TIMEOUT`` (409, retried)."""
    async with services.repository.session() as session:
        await session.conn.execute(f"SET LOCAL lock_timeout = '{_LOCK_TIMEOUT}'")
        yield session


async def _lock(session: Session, *keys: str) -> None:
    """Advisory locks in the order given; callers always pass citizen before slot."""
    for key in keys:
        try:
            await session.lock(key)
        except asyncpg.LockNotAvailableError as exc:
            raise ConflictError("预约人数过多，请稍后重试") from exc


async def _citizen_bookings(session: Session, citizen_id: UUID, at: datetime) -> CitizenBookings:
    try:
        return await session.get(CitizenBookings, citizen_bookings_id(citizen_id))
    except NotFound:
        return CitizenBookings.start(citizen_id, at=at)


async def _settle_no_shows(
    session: Session, record: CitizenBookings, at: datetime, policy: BookingPolicy
) -> list[Appointment]:
    """Mark the citizen's overdue bookings as no-shows (computed lazily: at the citizen's next
    booking, or by ``record_no_shows``). Returns the appointments marked; save them and
    ``record``."""
    missed: list[Appointment] = []
    for appointment_id in record.overdue(at, policy):
        appointment = await session.get(Appointment, appointment_id)
        appointment.mark_missed(at=at, policy=policy)
        record.record_no_show(appointment, at=at)
        missed.append(appointment)
    return missed


async def _service(services: Services, code: str) -> ServiceDefinition:
    try:
        item = await services.repository.get(ServiceItem, service_item_id(code))
    except NotFound:
        raise ValidationFailed("事项不存在", {"serviceCode": "没有该事项"}) from None
    return item.definition


async def _check_application(
    services: Services, citizen: Principal, application_id: UUID, service_code: str
) -> None:
    try:
        application = await services.repository.get(Application, application_id)
        application.ensure_visible_to(citizen.actor())
    except NotFound:
        raise ValidationFailed("办件不存在", {"applicationId": "没有您的该办件"}) from None
    if application.service.code != service_code:
        raise ValidationFailed("该办件不是此事项的办件", {"applicationId": "属于其他事项"})


def _booking_body(appointment: Appointment, saved: Saved) -> BookedAppointment:
    return BookedAppointment(
        id=str(appointment.id),
        slot_id=appointment.slot_id,
        start=datetime.fromisoformat(appointment.start),
        status=appointment.status,
        position=saved.position,
    )


def _booked_answer(appointment: Appointment) -> Callable[[Saved], Answer]:
    return lambda saved: Answer(201, _booking_body(appointment, saved))


async def book(
    services: Services,
    citizen: Principal,
    command: BookAppointment,
    remember: Remember | None = None,
) -> Answer:
    """Book a place in a slot: 201, or ``slot_full`` / ``already_booked`` / ``booking_blocked``."""
    now = services.clock()
    policy = booking_policy(services.settings)
    hall_id, day, start = parse_slot_id(command.slot_id)
    hall = await load_hall(services, hall_id)
    slot = hall.slot(day, start)
    if slot is None:
        raise NotFound(f"时段{command.slot_id}不存在")
    service = await _service(services, command.service_code)
    if command.application_id is not None:
        await _check_application(services, citizen, command.application_id, service.code)
    check_bookable(
        policy=policy, calendar=services.calendar, hall=hall, slot=slot, service=service, at=now
    )
    citizen_id = UUID(citizen.id)
    appointment_id = uuid.uuid4()

    async def attempt() -> Answer:
        while True:
            async with _transaction(services) as session:
                await _lock(session, f"citizen:{citizen_id}")
                record = await _citizen_bookings(session, citizen_id, now)
                if missed := await _settle_no_shows(session, record, now, policy):
                    # commit the no-shows on their own: they stand even if this booking fails
                    await session.save(record, *missed)
                    continue
                record.ensure_can_book(slot.day, at=now, policy=policy)
                await _lock(session, f"slot:{slot.id}")
                try:
                    place = await session.get(Slot, slot_aggregate_id(slot.id))
                except NotFound:
                    place = Slot.open(slot, at=now)
                appointment = Appointment.book(
                    id=appointment_id,
                    citizen_id=citizen_id,
                    hall=hall,
                    slot=slot,
                    service=service,
                    application_id=command.application_id,
                    at=now,
                )
                place.take(appointment.id, at=now)
                record.add(appointment, at=now)
                answer = _booked_answer(appointment)
                saved = await session.save(
                    record, place, appointment, after_insert=remember(answer) if remember else None
                )
                return answer(saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def cancel(services: Services, citizen: Principal, appointment_id: UUID) -> BookedAppointment:
    """The citizen cancels up to the cut-off; the place and the day are free again at once."""
    now = services.clock()
    policy = booking_policy(services.settings)
    known = await services.repository.get(Appointment, appointment_id)
    known.ensure_visible_to(citizen.actor())

    async def attempt() -> BookedAppointment:
        async with _transaction(services) as session:
            await _lock(session, f"citizen:{known.citizen_id}", f"slot:{known.slot_id}")
            appointment = await session.get(Appointment, appointment_id)
            appointment.cancel(actor=citizen.actor(), at=now, policy=policy)
            place = await session.get(Slot, slot_aggregate_id(appointment.slot_id))
            place.free(appointment.id, at=now)
            record = await session.get(CitizenBookings, citizen_bookings_id(known.citizen_id))
            record.close(appointment.id, "cancelled", at=now)
            saved = await session.save(appointment, place, record)
        return _booking_body(appointment, saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def check_in(services: Services, staff: Principal, appointment_id: UUID) -> CheckedIn:
    """Staff at the hall check a citizen in; the day's next queue number of the hall (A017)."""
    now = services.clock()
    policy = booking_policy(services.settings)
    known = await services.repository.get(Appointment, appointment_id)
    hall = await load_hall(services, known.hall_id)
    if not hall.admits(staff.actor()):
        raise NotFound("预约不存在")

    async def attempt() -> CheckedIn:
        async with _transaction(services) as session:
            await _lock(session, f"citizen:{known.citizen_id}")
            appointment = await session.get(Appointment, appointment_id)
            appointment.ensure_can_check_in(at=now, policy=policy)
            # the counter row is locked until commit: numbers follow commit order, no gaps
            sequence = await session.conn.fetchval(
                "INSERT INTO appointment_queue_numbers (hall_id, day, last) VALUES ($1, $2, 1)"
                " ON CONFLICT (hall_id, day) DO UPDATE"
                " SET last = appointment_queue_numbers.last + 1 RETURNING last",
                appointment.hall_id,
                local_date(appointment.starts_at),
            )
            number = queue_number(hall.queue_prefix, int(sequence))
            appointment.check_in(actor=staff.actor(), queue_number=number, at=now, policy=policy)
            record = await session.get(CitizenBookings, citizen_bookings_id(known.citizen_id))
            record.close(appointment.id, "checked_in", at=now)
            saved = await session.save(appointment, record)
        return CheckedIn(
            id=str(appointment.id),
            queue_number=number,
            status=appointment.status,
            position=saved.position,
        )

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def record_no_shows(services: Services) -> int:
    """Record every overdue booking as a no-show now (for a periodic job; booking does the same
    lazily for the citizen who books). Returns how many were recorded."""
    now = services.clock()
    policy = booking_policy(services.settings)
    citizens = await services.pool.fetch(
        "SELECT DISTINCT citizen_id FROM appointment_view WHERE status = 'booked' AND ends_at < $1",
        now - policy.no_show_grace,
    )
    recorded = 0
    for row in citizens:

        async def attempt(citizen_id: UUID = UUID(str(row["citizen_id"]))) -> int:  # noqa: B008
            async with _transaction(services) as session:
                await _lock(session, f"citizen:{citizen_id}")
                record = await _citizen_bookings(session, citizen_id, now)
                missed = await _settle_no_shows(session, record, now, policy)
                if missed:
                    await session.save(record, *missed)
                return len(missed)

        recorded += await retry_on_conflict(attempt, services.settings.command_retries)
    return recorded


async def send_reminders(services: Services) -> int:
    """Remind every citizen whose visit is tomorrow (China time); each booking once."""
    now = services.clock()
    tomorrow = now.astimezone(CST).date() + timedelta(days=1)
    rows = await services.pool.fetch(
        "SELECT id FROM appointment_view WHERE status = 'booked' AND NOT reminded AND day = $1",
        tomorrow,
    )
    sent = 0
    for row in rows:

        async def attempt(appointment_id: UUID = row["id"]) -> int:
            appointment = await services.repository.get(Appointment, appointment_id)
            if not appointment.remind(at=now):
                return 0
            await services.repository.save(appointment)
            return 1

        sent += await retry_on_conflict(attempt, services.settings.command_retries)
    return sent
