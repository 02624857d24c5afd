"""Courier tasks: the open deliveries of a courier's company, with where to bring them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from backend.applications.queries import wait_for_position
from domain.application import Application
from domain.delivery import OPEN

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["open_deliveries"]

_LIMIT = 200


async def open_deliveries(
    services: Services, courier: Principal, after: int | None = None
) -> list[dict[str, Any]]:
    """Deliveries of the courier's company still to pick up or on the way, oldest first.

    The addresses (PII) are read from the applications themselves for exactly these
    deliveries: no read model holds them, and they reach the couriers of the delivery's
    company and nobody else.
    """
    if not courier.department:
        return []
    if after:
        await wait_for_position(services, after, "deliveries")
    rows = await services.pool.fetch(
        "SELECT id, application_id, status, waybill_no, attempts, updated_at FROM delivery_view"
        " WHERE company = $1 AND status = ANY($2::text[]) ORDER BY requested_at, id LIMIT $3",
        courier.department,
        sorted(OPEN),
        _LIMIT,
    )
    addresses = await _addresses(services, [r["application_id"] for r in rows])
    return [
        {
            "id": str(r["id"]),
            "applicationId": str(r["application_id"]),
            "status": r["status"],
            "address": addresses.get(r["application_id"]),
            "waybillNo": r["waybill_no"],
            "attempts": r["attempts"],
            "updatedAt": r["updated_at"],
        }
        for r in rows
    ]


async def _addresses(
    services: Services, application_ids: list[UUID]
) -> dict[UUID, dict[str, Any] | None]:
    """The delivery address of each application, as the application itself reads it (None
    once the applicant's personal data was erased)."""
    gate = asyncio.Semaphore(8)  # a few loads at a time, leaving the pool to requests

    async def address_of(application_id: UUID) -> tuple[UUID, dict[str, Any] | None]:
        async with gate:
            application = await services.repository.get(Application, application_id)
        address = application.delivery.address
        return application_id, msgspec.to_builtins(address) if address else None

    return dict(await asyncio.gather(*(address_of(i) for i in set(application_ids))))
