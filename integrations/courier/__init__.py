"""Courier companies: a small Protocol, the SF Express adapter, and a local fake of SF."""

from __future__ import annotations

from integrations.courier.base import (
    Booking,
    Contact,
    CourierCompany,
    CourierError,
    CourierOrder,
    CourierRefused,
    CourierUnavailable,
    PushRejected,
    Route,
    RouteKind,
)
from integrations.courier.fake_sf import FakeSf, FakeSfOrder, PushReply
from integrations.courier.sf import OP_CODES, SfExpress, java_urlencode, msg_digest

__all__ = [
    "OP_CODES",
    "Booking",
    "Contact",
    "CourierCompany",
    "CourierError",
    "CourierOrder",
    "CourierRefused",
    "CourierUnavailable",
    "FakeSf",
    "FakeSfOrder",
    "PushRejected",
    "PushReply",
    "Route",
    "RouteKind",
    "SfExpress",
    "java_urlencode",
    "msg_digest",
]
