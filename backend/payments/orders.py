"""Command handlers for fees paid with WeChat Pay (一键缴费): the order, the payment, expiry.

Money is never taken twice: an application has at most one open order (orders are made under
the application's lock), and an expired order is closed at WeChat before a new one is made;
when WeChat says it was paid first, the payment is booked instead. Every change of an order
happens under the order's lock, and the aggregate ignores a second notice of one transaction.
Calls to WeChat never run inside a transaction that has written events (the event table's
lock would be held for the length of an HTTP call).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

from backend.http.idempotency import Answer
from backend.payments.dto import JsapiParams, PaymentOrder
from backend.payments.ledger import change_order, latest_order, save_order
from domain.application import Application
from domain.application.citizen import fee_due
from domain.application.status import STATUS_NAMES
from domain.errors import ConflictError, InvalidState, NotFound, ValidationFailed
from domain.payment import MAX_ATTEMPTS, PAYMENT_NAMES, Payment, PaymentNotice, payment_id
from domain.policies import payment_notice_problem
from integrations.wechat.errors import WeChatUnavailable
from integrations.wechat.pay import PayOrder

if TYPE_CHECKING:
    from backend.adapters.payments import Payments
    from backend.auth.tokens import Principal
    from backend.eventstore import Session
    from backend.http.idempotency import Remember
    from backend.services import Services
    from integrations.wechat.pay import OrderState

__all__ = [
    "Outcome",
    "close_order",
    "order",
    "payments_of",
    "query_order",
    "record_payment",
]

_log = logging.getLogger(__name__)
_ROUNDS = 3  # close an expired order, look again; more means someone else keeps changing it
_BODY_BYTES = 128  # WeChat's limit on the order description


class Outcome(msgspec.Struct, frozen=True):
    """How a notice was taken: ``accepted`` answers SUCCESS; ``changed`` when events were
    written (False for a replay)."""

    accepted: bool
    message: str = "OK"
    changed: bool = False


@dataclass(frozen=True)
class _Open:
    payment: Payment
    openid: str
    created: bool


def payments_of(services: Services) -> Payments:
    """The WeChat Pay adapter; 503 when no merchant is configured."""
    if services.payments is None:
        raise WeChatUnavailable("WeChat Pay is not configured")
    return services.payments


async def order(
    services: Services,
    citizen: Principal,
    application_id: UUID,
    client_ip: str,
    remember: Remember | None = None,
) -> Answer:
    """The open order of the application's fee, made (a JSAPI unified order) when there is
    none; an expired one is closed at WeChat first. 201 for a new order, 200 for the open one.
    """
    payments = payments_of(services)
    for _ in range(_ROUNDS):
        prepared = await _prepare(services, payments, citizen, application_id)
        if isinstance(prepared, _Open):
            break
        await close_order(services, prepared, reason="订单超时未支付，已关闭")
    else:
        raise ConflictError("订单正在变化，请重试")
    payment = prepared.payment
    prepay_id = payment.prepay_id
    if prepay_id is None:
        # the same order again (a retry after a failed call) gets the same prepay_id
        prepay_id = await payments.gateway.unified_order(
            PayOrder(
                out_trade_no=payment.out_trade_no,
                amount=payment.amount,
                description=payment.description,
                openid=prepared.openid,
                notify_url=payments.settings.pay_notify_url,
                client_ip=client_ip,
                starts_at=payment.starts_at,
                expires_at=payment.expires_at,
            )
        )
    return await _placed(services, payments, prepared, prepay_id, remember)


async def _prepare(
    services: Services, payments: Payments, citizen: Principal, application_id: UUID
) -> _Open | str:
    """Under the application's lock: its open order, a new one, or the number of an expired
    order to close first."""
    now = services.clock()
    async with services.repository.session() as session:
        await session.lock(f"payment-order:{application_id}")
        application = await session.get(Application, application_id)
        application.ensure_visible_to(citizen.actor())
        if not fee_due(application):
            raise InvalidState(
                f"办件当前为“{STATUS_NAMES[application.status]}”，无需缴费", code="no_fee_due"
            )
        openid = await session.conn.fetchval(
            "SELECT openid FROM citizens WHERE id = $1", application.citizen_id
        )
        if not openid:
            raise NotFound("办件不存在")
        latest = await latest_order(session.conn, application_id)
        if latest is not None and latest["state"] == "created":
            payment = await session.get(Payment, payment_id(latest["out_trade_no"]))
            if payment.is_expired(now):
                return str(latest["out_trade_no"])
            return _Open(payment, openid, created=False)
        if latest is not None and latest["state"] != "closed":
            raise InvalidState("费用已支付，正在确认支付结果", code="payment_being_confirmed")
        attempt = latest["attempt"] + 1 if latest is not None else 1
        if attempt > MAX_ATTEMPTS:
            raise InvalidState("该办件的支付订单次数已达上限", code="too_many_orders")
        payment = Payment.create(
            application_id=application_id,
            citizen_id=application.citizen_id,
            application_number=application.number,
            attempt=attempt,
            amount=application.fee,
            description=_description(application),
            at=now,
            expires_at=now + timedelta(minutes=payments.settings.expiry_minutes),
        )
        await save_order(session, payment)
        return _Open(payment, openid, created=True)


async def _placed(
    services: Services,
    payments: Payments,
    prepared: _Open,
    prepay_id: str,
    remember: Remember | None,
) -> Answer:
    now = services.clock()

    async def change(session: Session, payment: Payment) -> Answer:
        if not payment.is_open:
            raise InvalidState(
                f"支付订单当前为“{PAYMENT_NAMES[payment.state]}”", code="order_not_open"
            )
        payment.place(prepay_id=prepay_id, at=now)
        saved = await save_order(session, payment)
        answer = Answer(
            201 if prepared.created else 200,
            PaymentOrder(
                payment_id=str(payment.id),
                out_trade_no=payment.out_trade_no,
                amount=payment.amount,
                expires_at=payment.expires_at,
                jsapi_params=msgspec.convert(payments.gateway.jsapi_params(prepay_id), JsapiParams),
                position=saved.position,
                id=str(payment.id),
            ),
        )
        if remember is not None:
            await remember(lambda _: answer)(session.conn, saved)
        return answer

    return await change_order(services, prepared.payment.out_trade_no, change)


def _description(application: Application) -> str:
    """商品描述: the service and the application number, within WeChat's 128 bytes."""
    text = f"{application.service.name}-{application.number}"
    while len(text.encode()) > _BODY_BYTES:
        text = text[:-1]
    return text


async def record_payment(services: Services, verified: PaymentNotice) -> Outcome:
    """Book a verified payment on its order and on the application, once.

    A wrong merchant or amount is refused and recorded, on the order and on the application
    (a stuck case, 缴费异常), once per reason.
    """
    gateway = payments_of(services).gateway
    now = services.clock()

    async def change(session: Session, payment: Payment) -> Outcome:
        application = await session.get(Application, payment.application_id)

        async def refuse(problem: str) -> Outcome:
            news = payment.report_problem(
                reason=problem, transaction_id=verified.transaction_id, at=now
            )
            if news:  # a retry of the same notice is recorded once
                application.report_payment_problem(reason=problem, at=now)
            await save_order(session, payment, application)
            return Outcome(accepted=False, message=problem, changed=news)

        problem = payment_notice_problem(
            verified, payment, appid=gateway.appid, mch_id=gateway.mch_id
        )
        if problem is not None:
            return await refuse(problem)
        try:
            news = payment.record_paid(
                transaction_id=verified.transaction_id,
                amount=verified.amount,
                paid_at=verified.paid_at,
                source=verified.source,
                at=now,
            )
        except InvalidState:
            return await refuse("同一订单收到另一笔微信支付交易")
        if not news:
            return Outcome(accepted=True)  # a replay: nothing changes
        if application.paid_amount:
            problem = "重复缴费：该办件已由其他订单缴费，需退款"
            payment.report_problem(reason=problem, transaction_id=verified.transaction_id, at=now)
            application.report_payment_problem(reason=problem, at=now)
        else:
            try:
                application.record_payment(
                    payment_id=str(payment.id),
                    amount=verified.amount,
                    transaction_id=verified.transaction_id,
                    at=now,
                )
            except (InvalidState, ValidationFailed) as exc:
                # the money is taken whatever the case says: keep it on the order, flagged
                problem = f"办件无法入账：{exc.detail}"
                payment.report_problem(
                    reason=problem, transaction_id=verified.transaction_id, at=now
                )
                _log.warning("payment %s: %s", payment.out_trade_no, problem)
        await save_order(session, payment, application)
        return Outcome(accepted=True, changed=True)

    try:
        return await change_order(services, verified.out_trade_no, change)
    except NotFound:
        return Outcome(accepted=False, message="订单不存在")


async def close_order(services: Services, out_trade_no: str, reason: str) -> bool:
    """Close an order at WeChat, then here; if WeChat says it was paid first, book the payment
    instead. True when something was recorded."""
    gateway = payments_of(services).gateway
    if await gateway.close(out_trade_no) == "paid":
        return await query_order(services, out_trade_no)
    return await _mark_closed(services, out_trade_no, reason)


async def query_order(services: Services, out_trade_no: str) -> bool:
    """Ask WeChat about an order and take its answer (a lost notification is recovered)."""
    state = await payments_of(services).gateway.query(out_trade_no)
    if state is None:
        return False  # WeChat never got it (the unified order failed): it expires here
    if state.trade_state in ("SUCCESS", "REFUND"):
        verified = _verified(state)
        if verified is None:
            _log.warning("order %s: WeChat says paid but gives no transaction", out_trade_no)
            return False
        return (await record_payment(services, verified)).changed
    if state.trade_state in ("CLOSED", "REVOKED"):
        return await _mark_closed(services, out_trade_no, "订单已在微信支付关闭")
    return False  # NOTPAY, USERPAYING, PAYERROR: still open


def _verified(state: OrderState) -> PaymentNotice | None:
    if not state.transaction_id or state.amount is None:
        return None
    return PaymentNotice(
        out_trade_no=state.out_trade_no,
        transaction_id=state.transaction_id,
        amount=state.amount,
        appid=state.appid,
        mch_id=state.mch_id,
        paid_at=state.paid_at or "",
        source="query",
    )


async def _mark_closed(services: Services, out_trade_no: str, reason: str) -> bool:
    now = services.clock()

    async def change(session: Session, payment: Payment) -> bool:
        if not payment.close(reason=reason, at=now):
            return False
        await save_order(session, payment)
        return True

    return await change_order(services, out_trade_no, change)
