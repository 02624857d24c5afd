"""WeChat Pay's notifications, from XML in to XML out.

Replies are exactly what WeChat expects (``<xml><return_code>SUCCESS</return_code>...``), with
HTTP 200 for every notice we could read: SUCCESS when it is booked (or was booked before: a
replay changes nothing), FAIL with the reason otherwise (WeChat retries FAIL for a day; the
problem is recorded once). A body that is not WeChat Pay XML, or not signed with our key, gets
FAIL with HTTP 400. When the database is busy or down the answer is FAIL with HTTP 503 within
``notify_timeout_seconds`` (WeChat waits 5 s), so WeChat tries again later; never a 500.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import asyncpg

from backend.payments.orders import Outcome, record_payment
from backend.payments.refunds import record_refund_notice
from domain.errors import ConflictError
from domain.payment import PaymentNotice
from integrations.wechat.pay import InvalidRefundNotice, WeChatPayGateway
from integrations.wechat.pay_wire import MalformedXml, parse_xml, reply

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from backend.services import Services

__all__ = ["pay_notification", "refund_notification"]

_log = logging.getLogger(__name__)
Reply = tuple[int, bytes]
# what may go wrong on our side while booking a notice: WeChat is told to try again
_TRANSIENT = (TimeoutError, ConflictError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


async def pay_notification(services: Services, body: bytes) -> Reply:
    """Verify (signature in constant time, return_code, result_code, appid, mch_id, amount)
    and book a payment notification."""
    if services.payments is None:
        return 503, reply(False, "未开通微信支付")
    read = _read_payment(services.payments.gateway, body)
    if not isinstance(read, PaymentNotice):
        return read
    return await _booked(services, lambda: record_payment(services, read))


def _read_payment(gateway: WeChatPayGateway, body: bytes) -> PaymentNotice | Reply:
    """The payment a notification reports, or the answer to give it now."""
    try:
        fields = parse_xml(body)
    except MalformedXml:
        return 400, reply(False, "报文格式错误")
    if not gateway.verify_notification(fields):
        _log.warning("payment notification with a bad signature refused")
        return 400, reply(False, "签名错误")
    if fields.get("return_code") != "SUCCESS":
        return 200, reply(False, "return_code 不是 SUCCESS")
    if fields.get("result_code") != "SUCCESS":
        return 200, reply(True)  # a failed payment: nothing was taken, nothing to book
    amount = _fen(fields.get("total_fee", ""))
    if amount is None or not fields.get("out_trade_no") or not fields.get("transaction_id"):
        return 400, reply(False, "缺少订单号、交易号或金额")
    return PaymentNotice(
        out_trade_no=fields["out_trade_no"],
        transaction_id=fields["transaction_id"],
        amount=amount,
        appid=fields.get("appid", ""),
        mch_id=fields.get("mch_id", ""),
        paid_at=fields.get("time_end", ""),
        source="notification",
    )


async def refund_notification(services: Services, body: bytes) -> Reply:
    """Decrypt (``req_info``, AES with the key's MD5; appid and mch_id must be ours) and book
    a refund notification."""
    payments = services.payments
    if payments is None:
        return 503, reply(False, "未开通微信支付")
    try:
        fields = parse_xml(body)
    except MalformedXml:
        return 400, reply(False, "报文格式错误")
    if fields.get("return_code") != "SUCCESS":
        return 200, reply(False, "return_code 不是 SUCCESS")
    try:
        notice = payments.gateway.refund_notice(fields)
    except InvalidRefundNotice:
        _log.warning("refund notification that is not ours refused")
        return 400, reply(False, "解密失败")
    return await _booked(services, lambda: record_refund_notice(services, notice))


async def _booked(services: Services, book: Callable[[], Awaitable[Outcome]]) -> Reply:
    assert services.payments is not None
    try:
        async with asyncio.timeout(services.payments.settings.notify_timeout_seconds):
            outcome = await book()
    except _TRANSIENT as exc:
        _log.warning("notification not booked now, WeChat will retry: %r", exc)
        return 503, reply(False, "系统繁忙，请稍后重试")
    return 200, reply(outcome.accepted, outcome.message)


def _fen(text: str) -> int | None:
    """A whole number of fen as WeChat writes it (ASCII digits only)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None
