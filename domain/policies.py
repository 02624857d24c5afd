"""Rules that span aggregates: what one fact of a case implies for another aggregate.

Command handlers load the aggregates, call one of these and save what changed together; the
rule itself is stated once, here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.personal import seal
from domain.rectification import Rectification

if TYPE_CHECKING:
    from datetime import datetime

    from domain.actors import Actor
    from domain.application import Application
    from domain.payment import Payment, PaymentNotice

__all__ = [
    "BAD_RATING",
    "evaluate",
    "payment_notice_problem",
    "withdraw",
]

# 好差评: a rating this low or lower (1 非常不满意, 2 不满意) opens a rectification (整改).
BAD_RATING = 2


def evaluate(
    application: Application, *, actor: Actor, rating: int, comment: str, at: datetime
) -> Rectification | None:
    """The applicant rates the case; a bad rating opens its rectification at once."""
    application.evaluate(actor=actor, rating=rating, comment=comment, at=at)
    if rating > BAD_RATING:
        return None
    return Rectification.open(
        application_id=application.id,
        number=application.number,
        rating=rating,
        comment=seal(application.citizen_id, comment),
        departments=list(application.departments),
        at=at,
    )


def withdraw(
    application: Application,
    payment: Payment | None,
    *,
    actor: Actor,
    reason: str,
    at: datetime,
) -> bool:
    """The applicant withdraws; a fee paid for a result not yet issued is refunded (the refund
    is requested on ``payment``). True when a refund was requested."""
    refund = payment is not None and application.paid_and_not_issued
    application.withdraw(actor=actor, reason=reason, at=at)
    if refund and payment is not None:
        words = f"申请人撤回申请：{reason}" if reason.strip() else "申请人撤回申请"
        payment.request_refund(actor=actor, reason=words, at=at)
    return refund


def payment_notice_problem(
    notice: PaymentNotice, payment: Payment, *, appid: str, mch_id: str
) -> str | None:
    """Why a verified WeChat Pay notice cannot be booked on ``payment`` as it is: another
    merchant, or another amount (None: it can). The citizen-facing words are the record."""
    if notice.appid != appid or notice.mch_id != mch_id:
        return f"商户信息不符（appid {notice.appid[:32]}，商户号 {notice.mch_id[:32]}）"
    if notice.amount != payment.amount:
        return f"支付金额{notice.amount}分与应缴{payment.amount}分不符"
    return None
