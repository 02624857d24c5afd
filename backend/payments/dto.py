"""Request and response bodies of fees and refunds (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from backend.http.dto import Body, Dto
from backend.settings.payments import SignType

__all__ = ["JsapiParams", "PaymentOrder", "RefundRequest", "SandboxPayment"]


class JsapiParams(Dto, frozen=True):
    """What ``wx.requestPayment`` takes, signed for this order: pass it on as it is."""

    app_id: str
    time_stamp: str
    nonce_str: str
    package: str  # prepay_id=...
    sign_type: SignType
    pay_sign: str


class PaymentOrder(Dto, frozen=True):
    """The open order of a fee; ``jsapiParams`` go to ``wx.requestPayment`` as they are."""

    payment_id: str
    out_trade_no: str
    amount: int  # fen
    expires_at: datetime
    jsapi_params: JsapiParams
    position: int
    id: str  # the same as ``paymentId``: every resource's own id is ``id``


class RefundRequest(Body, frozen=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SandboxPayment(Dto, frozen=True):
    """``notified``: the app acknowledged the notification; wait on ``position``."""

    out_trade_no: str
    transaction_id: str
    notified: bool
    position: int
