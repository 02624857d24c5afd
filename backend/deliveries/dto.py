"""Request and response bodies of couriers, route pushes and delivery supervision (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from backend.http.dto import Body, Dto
from domain.application import Address
from domain.application.status import Status
from domain.delivery import DeliveryStatus, ReportKind

__all__ = [
    "CourierDelivery",
    "DeliveryRecorded",
    "DeliveryReport",
    "Redispatched",
]

Text = Annotated[str, msgspec.Meta(max_length=200)]
LongText = Annotated[str, msgspec.Meta(max_length=500)]


class CourierDelivery(Dto, frozen=True):
    """An open delivery of my company; the address only for its couriers."""

    id: str
    application_id: str
    status: DeliveryStatus
    address: Address | None
    waybill_no: str | None
    attempts: int = 0
    updated_at: datetime | None = None


class DeliveryReport(Body, frozen=True):
    """A scan or an outcome: ``signedBy`` for delivered, ``reason`` for failed (and returned)."""

    type: ReportKind
    at: datetime
    location: Text = ""
    note: LongText = ""
    signed_by: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    file_id: UUID | None = None  # a photo of the proof of delivery (uploaded by the courier)
    reason: LongText = ""


class DeliveryRecorded(Dto, frozen=True):
    id: str
    application_id: str
    status: DeliveryStatus
    position: int


class Redispatched(Dto, frozen=True):
    """The application (still delivering) and its new courier order, to be booked shortly."""

    id: str
    status: Status
    position: int
    delivery_id: str
