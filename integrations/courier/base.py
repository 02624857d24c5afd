"""What we need from a courier company, whoever it is: book an order, read its route pushes.

Each company's adapter speaks its own wire format behind :class:`CourierCompany`; the rest of
the app sees orders, bookings and routes only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

import msgspec

__all__ = [
    "Booking",
    "Contact",
    "CourierCompany",
    "CourierError",
    "CourierOrder",
    "CourierRefused",
    "CourierUnavailable",
    "PushRejected",
    "Route",
    "RouteKind",
]

# What a route means for the parcel; None for scans we keep no state for.
RouteKind = Literal[
    "picked_up", "in_transit", "out_for_delivery", "delivered", "failed", "returned"
]


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """A sender or recipient as a waybill shows it."""

    name: str
    phone: str
    province: str = ""
    city: str = ""
    district: str = ""
    address: str
    company: str = ""


class CourierOrder(msgspec.Struct, frozen=True, kw_only=True):
    """One parcel to collect from ``sender`` and bring to ``recipient``.

    ``order_id`` is ours and the company's idempotency key: booking it twice gives one parcel.
    """

    order_id: str
    sender: Contact
    recipient: Contact
    cargo: str = "政务服务办理结果"
    remark: str = ""


class Booking(msgspec.Struct, frozen=True):
    """The company took the order: its waybill number (运单号)."""

    order_id: str
    waybill_no: str


class Route(msgspec.Struct, frozen=True, kw_only=True):
    """One scan from a route push (路由推送)."""

    route_id: str  # the company's id of this scan: a replayed push repeats it
    waybill_no: str
    at: datetime
    op_code: str
    kind: RouteKind | None
    location: str = ""
    remark: str = ""
    signed_by: str = ""
    reason: str = ""


class CourierError(Exception):
    """Base of the adapters' errors."""


class CourierUnavailable(CourierError):
    """Could not reach the company, it timed out, or it said "try later": retry."""


class CourierRefused(CourierError):
    """The company answered and said no (bad credentials, bad order): retrying the same request
    will not help until someone changes something."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PushRejected(CourierError):
    """A route push we cannot read."""


class CourierCompany(Protocol):
    """A courier company's open platform."""

    code: str  # ours, in URLs and staff departments: "sf"
    name: str  # as citizens know it: "顺丰速运"

    async def book(self, order: CourierOrder) -> Booking:
        """Place the order (again: the same ``order_id`` gives the same waybill)."""
        ...

    def parse_push(self, body: bytes) -> list[Route]:
        """The routes of a push body, in the order sent; ``PushRejected`` if unreadable."""
        ...

    def push_accepted(self) -> dict[str, str]:
        """The reply the company expects when we took a push."""
        ...
