"""Issuing a result sent by courier: its courier order is written with the result.

The public face of deliveries for the back office (``issue_result``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from uuid import UUID

from backend.deliveries import orders
from backend.eventstore import chain
from domain.delivery import Delivery

if TYPE_CHECKING:
    from datetime import datetime

    from eventsourcing.domain import Aggregate

    from backend.auth.tokens import Principal
    from backend.eventstore import AfterInsert, Saved
    from backend.services import Services
    from domain.application import Application

__all__ = ["lock_key", "new_delivery", "save_issued"]


def lock_key(application_id: UUID) -> str:
    """The advisory lock every writer of an application's delivery takes."""
    return f"delivery-of:{application_id}"


def new_delivery(
    services: Services, application: Application, at: datetime, staff: Principal | None = None
) -> Delivery:
    """A requested delivery of ``application``'s result, with the configured company."""
    config = services.settings.courier
    return Delivery.request(
        id=uuid.uuid4(),
        application=application,
        company=config.company,
        max_attempts=config.max_attempts,
        at=at,
        actor=staff.actor() if staff is not None else None,
    )


async def save_issued(
    services: Services,
    application: Application,
    at: datetime,
    also: tuple[Aggregate, ...] = (),
    after_insert: AfterInsert | None = None,
) -> Saved:
    """Save an application whose result was just issued (with ``also``, and ``after_insert``'s
    rows: the e-certificate it became); a result sent by courier gets its courier order (a
    requested ``Delivery`` and a pending booking) in the same transaction."""
    if application.status != "result_issued":
        return await services.repository.save(application, *also, after_insert=after_insert)
    delivery = new_delivery(services, application, at)
    return await services.repository.save(
        application, delivery, *also, after_insert=chain(orders.inserter(delivery), after_insert)
    )
