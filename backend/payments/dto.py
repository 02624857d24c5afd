"""Request and response bodies of fees and refunds (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

__all__ = ["PaymentOrder", "RefundRequest", "RefundStatus", "SandboxPayment"]


class Dto(msgspec.Struct, rename="camel", frozen=True):
    pass


class PaymentOrder(Dto, frozen=True):
    """The open order of a fee; ``jsapiParams`` go to ``wx.requestPayment`` as they are."""

    payment_id: str
    out_trade_no: str
    amount: int  # fen
    expires_at: datetime
    jsapi_params: dict[str, str]
    position: int


class RefundRequest(msgspec.Struct, rename="camel", frozen=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RefundStatus(Dto, frozen=True):
    """``status``: the payment's (``refunding`` until WeChat says the money is back)."""

    id: str
    status: str
    position: int


class SandboxPayment(Dto, frozen=True):
    """``notified``: the app acknowledged the notification; wait on ``position``."""

    out_trade_no: str
    transaction_id: str
    notified: bool
    position: int
