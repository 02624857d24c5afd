"""Sandbox only: the fake WeChat Pay pays an order and notifies the app, as WeChat would."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from backend.payments.dto import SandboxPayment
from domain.errors import InvalidState, NotFound
from integrations.wechat.fake_pay import FakePayError

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["sandbox_pay"]


async def sandbox_pay(services: Services, citizen: Principal, out_trade_no: str) -> SandboxPayment:
    """The citizen pays their order at the fake; it POSTs the signed notification over HTTP to
    the order's ``notify_url`` (our ``/webhooks/wechat/pay`` under ``public_base_url``).

    ``notified`` says whether the app acknowledged it; if not (the URL does not reach this
    app), the reconciler recovers the payment by querying the order."""
    payments = services.payments
    if payments is None or payments.fake is None:
        raise NotFound("仅沙箱模式提供")
    owner = await services.pool.fetchval(
        "SELECT citizen_id FROM payment_orders WHERE out_trade_no = $1", out_trade_no
    )
    if owner is None or str(owner) != citizen.id:
        raise NotFound("支付订单不存在")
    try:
        # a blocking HTTP round trip to ourselves: in a thread, never on the event loop
        paid, deliveries = await asyncio.to_thread(payments.fake.pay, out_trade_no)
    except FakePayError as exc:
        raise InvalidState(f"沙箱无法支付该订单：{exc}", code="sandbox_cannot_pay") from None
    async with services.pool.acquire() as conn:
        position = await services.recorder.max_notification_id(conn)
    return SandboxPayment(
        out_trade_no=out_trade_no,
        transaction_id=paid.transaction_id or "",
        notified=any(d.acknowledged for d in deliveries),
        position=position,
    )
