"""Refunds of fees paid with WeChat Pay: ordered by an admin, or after the citizen withdraws.

The refund is requested (an event, with its ``out_refund_no``) in the transaction that decides
it; the call to WeChat comes after, and the reconciler repeats it while WeChat cannot be reached
(the same ``out_refund_no`` refunds once). The application records the refund when WeChat says
the money went back (refund notification or refund query).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from uuid import UUID

from backend.handling import CommandAccepted, accepted
from backend.payments.ledger import change_order, find_order, save_order
from backend.payments.orders import Outcome, payments_of
from domain import policies
from domain.application import Application
from domain.errors import InvalidState, NotFound, ValidationFailed
from domain.payment import Payment, payment_id
from domain.personal import text_of
from integrations.wechat.errors import WeChatUnavailable
from integrations.wechat.pay import RefundNotice, WeChatPayError

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.eventstore import Saved, Session
    from backend.services import Services

__all__ = [
    "apply_refund",
    "paid_order_of",
    "record_refund_notice",
    "refund",
    "settle_refund",
    "withdraw_and_refund",
]

_log = logging.getLogger(__name__)


async def refund(
    services: Services, staff: Principal, application_id: UUID, reason: str
) -> CommandAccepted:
    """An admin gives the fee back (the whole fee); the answer's status is the payment's."""
    payments_of(services)
    application = await services.repository.get(Application, application_id)
    application.ensure_visible_to(staff.actor())
    row = await find_order(services.pool, application_id, ("paid", "refunding", "refunded"))
    if row is None:
        raise InvalidState("该办件没有已缴的费用", code="nothing_paid")
    now = services.clock()

    async def change(session: Session, payment: Payment) -> Saved:
        payment.request_refund(actor=staff.actor(), reason=reason, at=now)
        return await save_order(session, payment)

    saved = await change_order(services, row["out_trade_no"], change)
    status = await apply_refund(services, row["out_trade_no"])
    return accepted(application_id, status, saved)


async def paid_order_of(services: Services, application_id: UUID) -> str | None:
    """The ``out_trade_no`` of the application's paid order, if its fee is paid."""
    row = await find_order(services.pool, application_id, ("paid",))
    return None if row is None else str(row["out_trade_no"])


async def withdraw_and_refund(
    services: Services, citizen: Principal, application_id: UUID, reason: str, out_trade_no: str
) -> CommandAccepted:
    """The citizen withdraws an application whose fee is paid: the refund is requested in the
    same transaction (``policies.withdraw``), then sent to WeChat."""
    now = services.clock()

    async def change(session: Session, payment: Payment) -> Saved:
        application = await session.get(Application, payment.application_id)
        if application.id != application_id:  # pragma: no cover - the index row says so
            raise NotFound("办件不存在")
        policies.withdraw(application, payment, actor=citizen.actor(), reason=reason, at=now)
        return await save_order(session, payment, application)

    saved = await change_order(services, out_trade_no, change)
    try:
        await apply_refund(services, out_trade_no)
    except WeChatPayError as exc:  # recorded on the order; the withdrawal stands
        _log.warning("refund after withdrawal of %s refused: %s", application_id, exc)
    return accepted(application_id, "withdrawn", saved)


async def apply_refund(services: Services, out_trade_no: str) -> str:
    """Send the requested refund to WeChat; the payment's state afterwards. While WeChat
    cannot be reached the refund stays requested (the reconciler sends it again)."""
    gateway = payments_of(services).gateway
    payment = await services.repository.get(Payment, payment_id(out_trade_no))
    out_refund_no = payment.out_refund_no
    if payment.state != "refunding" or payment.refund_id is not None or out_refund_no is None:
        return payment.state
    try:
        refund_id = await gateway.refund(
            out_trade_no=out_trade_no,
            out_refund_no=out_refund_no,
            total_fee=payment.amount,
            refund_fee=payment.amount,
            reason=text_of(payment.refund_reason) or "退款",
            notify_url=payments_of(services).settings.refund_url,
        )
    except WeChatUnavailable as exc:
        _log.warning("refund %s not sent yet: %s", out_refund_no, exc)
        return payment.state
    except WeChatPayError as exc:
        await _refund_failed(services, out_trade_no, out_refund_no, f"微信支付拒绝退款：{exc.code}")
        raise
    now = services.clock()

    async def change(session: Session, current: Payment) -> str:
        current.accept_refund(out_refund_no=out_refund_no, refund_id=refund_id, at=now)
        await save_order(session, current)
        return current.state

    return await change_order(services, out_trade_no, change)


async def record_refund_notice(services: Services, notice: RefundNotice) -> Outcome:
    """WeChat says how a refund ended: SUCCESS books it on the order and the application
    (once); CHANGE / REFUNDCLOSE put the order back to paid, flagged."""
    now = services.clock()

    async def change(session: Session, payment: Payment) -> Outcome:
        if notice.status != "SUCCESS":
            failed = payment.record_refund_failure(
                out_refund_no=notice.out_refund_no,
                reason=f"退款未成功（{notice.status[:32]}）",
                at=now,
            )
            await save_order(session, payment)
            return Outcome(accepted=True, changed=failed)
        try:
            news = payment.record_refunded(
                out_refund_no=notice.out_refund_no,
                refund_id=notice.refund_id,
                amount=notice.amount,
                at=now,
            )
        except (InvalidState, ValidationFailed) as exc:
            return Outcome(accepted=False, message=exc.detail)
        if not news:
            return Outcome(accepted=True)
        application = await session.get(Application, payment.application_id)
        application.record_refund(
            payment_id=str(payment.id),
            amount=notice.amount,
            reason=text_of(payment.refund_reason) or "退款",
            at=now,
        )
        await save_order(session, payment, application)
        return Outcome(accepted=True, changed=True)

    try:
        return await change_order(services, notice.out_trade_no, change)
    except NotFound:
        return Outcome(accepted=False, message="订单不存在")


async def settle_refund(services: Services, out_trade_no: str) -> bool:
    """For the reconciler: send a refund WeChat never got, or ask how a sent one ended."""
    payment = await services.repository.get(Payment, payment_id(out_trade_no))
    out_refund_no = payment.out_refund_no
    if payment.state != "refunding" or out_refund_no is None:
        return False
    if payment.refund_id is None:
        await apply_refund(services, out_trade_no)
        return (await services.repository.get(Payment, payment.id)).version != payment.version
    state = await payments_of(services).gateway.refund_query(out_refund_no)
    if state is None or state.status == "PROCESSING":
        return False
    notice = RefundNotice(
        out_trade_no=out_trade_no,
        out_refund_no=out_refund_no,
        refund_id=state.refund_id or payment.refund_id,
        status=state.status,
        amount=state.amount if state.amount is not None else payment.amount,
    )
    return (await record_refund_notice(services, notice)).changed


async def _refund_failed(
    services: Services, out_trade_no: str, out_refund_no: str, reason: str
) -> None:
    now = services.clock()

    async def change(session: Session, payment: Payment) -> None:
        payment.record_refund_failure(out_refund_no=out_refund_no, reason=reason, at=now)
        await save_order(session, payment)

    await change_order(services, out_trade_no, change)
