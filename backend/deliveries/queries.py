"""Courier tasks: the open deliveries of a courier's company, with where to bring them."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from backend.deliveries.dto import CourierDelivery
from backend.read_side import DELIVERIES, read_model
from domain.application import Address, Application
from domain.delivery import OPEN

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["DeliveryRecord", "delivery_of", "open_deliveries"]

_LIMIT = 200


async def open_deliveries(
    services: Services, courier: Principal, after: int | None = None
) -> list[CourierDelivery]:
    """Deliveries of the courier's company still to pick up or on the way, oldest first.

    The addresses (PII) are read from the applications themselves for exactly these
    deliveries: no read model holds them, and they reach the couriers of the delivery's
    company and nobody else.
    """
    if not courier.department:
        return []
    db = await read_model(services, DELIVERIES, after)
    rows = await db.fetch(
        "SELECT id, application_id, status, waybill_no, attempts, updated_at FROM delivery_view"
        " WHERE company = $1 AND status = ANY($2::text[]) ORDER BY requested_at, id LIMIT $3",
        courier.department,
        sorted(OPEN),
        _LIMIT,
    )
    addresses = await _addresses(services, [r["application_id"] for r in rows])
    return [
        CourierDelivery(
            id=str(r["id"]),
            application_id=str(r["application_id"]),
            status=r["status"],
            address=addresses.get(r["application_id"]),
            waybill_no=r["waybill_no"],
            attempts=r["attempts"],
            updated_at=r["updated_at"],
        )
        for r in rows
    ]


async def _addresses(services: Services, application_ids: list[UUID]) -> dict[UUID, Address | None]:
    """The delivery address of each application, as the application itself reads it (None
    once the applicant's personal data was erased)."""
    gate = asyncio.Semaphore(8)  # a few loads at a time, leaving the pool to requests

    async def address_of(application_id: UUID) -> tuple[UUID, Address | None]:
        async with gate:
            application = await services.repository.get(Application, application_id)
        return application_id, application.delivery.address

    return dict(await asyncio.gather(*(address_of(i) for i in set(application_ids))))


class DeliveryRecord(msgspec.Struct, frozen=True):
    """An application's latest courier delivery, as supervisors see it (no address)."""

    id: str
    company: str
    waybill_no: str | None
    status: str
    attempts: int
    max_attempts: int
    events: tuple[dict[str, Any], ...]
    updated_at: datetime


async def delivery_of(
    services: Services, application_id: UUID, after: int | None = None
) -> DeliveryRecord | None:
    """The latest delivery of the application's result, if it was sent by courier."""
    db = await read_model(services, DELIVERIES, after)
    row = await db.fetchrow(
        "SELECT id, company, waybill_no, status, attempts, max_attempts, events, updated_at"
        " FROM delivery_view WHERE application_id = $1 ORDER BY requested_at DESC LIMIT 1",
        application_id,
    )
    if row is None:
        return None
    return DeliveryRecord(
        id=str(row["id"]),
        company=row["company"],
        waybill_no=row["waybill_no"],
        status=row["status"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        events=tuple(row["events"]),
        updated_at=row["updated_at"],
    )
