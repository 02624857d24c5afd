"""A WeChat Pay order for an application's fee (一键缴费): one stream per ``out_trade_no``.

States::

    created --paid--> paid --request_refund--> refunding --refunded--> refunded
       |                 ^                          |
       +--close--> closed          refund failed ---+

Money is integer fen. WeChat Pay is the truth about money: a verified payment is recorded
whatever we thought of the order (one we had closed is then also flagged as a problem), and
a second notice of the same transaction changes nothing. Time and ids come in as arguments.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from domain.actors import Actor
from domain.application.values import check_text
from domain.errors import InvalidState, ValidationFailed
from domain.personal import SealedText, seal

__all__ = [
    "MAX_ATTEMPTS",
    "Payment",
    "PaymentNotice",
    "PaymentState",
    "out_trade_no_for",
    "payment_id",
]

_NAMESPACE = uuid.UUID("5d0f3c52-8a61-4f0e-9a51-7061796d6e74")
MAX_ATTEMPTS = 99  # orders per application; two digits in the out_trade_no

PaymentState = Literal["created", "paid", "closed", "refunding", "refunded"]
PAYMENT_NAMES: dict[str, str] = {
    "created": "待支付",
    "paid": "已支付",
    "closed": "已关闭",
    "refunding": "退款中",
    "refunded": "已退款",
}


class PaymentNotice(msgspec.Struct, frozen=True):
    """What WeChat Pay said about a payment (a notification or an order query), its signature
    already checked; whether it can be booked is ``policies.payment_notice_problem``."""

    out_trade_no: str
    transaction_id: str
    amount: int
    appid: str
    mch_id: str
    paid_at: str
    source: Literal["notification", "query"]


def out_trade_no_for(application_number: str, attempt: int) -> str:
    """商户订单号: the application number and the attempt, e.g. ``20261124-GG00201-000042-P01``.

    WeChat allows 32 characters of ``[0-9A-Za-z_|*-]`` and the number must be unique per
    merchant: application numbers are unique, so is this.
    """
    if not 1 <= attempt <= MAX_ATTEMPTS:
        raise ValueError(f"attempt must be 1..{MAX_ATTEMPTS}")
    return f"{application_number}-P{attempt:02d}"


def payment_id(out_trade_no: str) -> UUID:
    """The aggregate id of an order, derived from its number: a notice needs no lookup."""
    return uuid.uuid5(_NAMESPACE, f"payment:{out_trade_no}")


class Payment(Aggregate):
    """One JSAPI order of one application; a new attempt is a new order."""

    class Created(Aggregate.Created):
        application_id: UUID
        citizen_id: UUID
        out_trade_no: str
        attempt: int
        amount: int
        description: str
        starts_at: datetime
        expires_at: datetime

    class OrderPlaced(Aggregate.Event):
        """WeChat Pay accepted the unified order and gave its ``prepay_id``."""

        prepay_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.prepay_id = self.prepay_id

    class Paid(Aggregate.Event):
        """A verified notification or order query said the money was taken."""

        transaction_id: str
        amount: int
        paid_at: str  # time_end as WeChat reports it (yyyyMMddHHmmss, China time)
        source: str  # "notification" or "query"

        def apply(self, aggregate: Any) -> None:
            aggregate.state = "paid"
            aggregate.transaction_id = self.transaction_id
            aggregate.paid_at = self.paid_at

    class ProblemFound(Aggregate.Event):
        """Something about this order needs a person: wrong amount, wrong merchant, ..."""

        reason: str
        transaction_id: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.problems = [*aggregate.problems, self.reason]

    class Closed(Aggregate.Event):
        """Closed at WeChat (expired, or replaced): it can no longer be paid."""

        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.state = "closed"

    class RefundRequested(Aggregate.Event):
        actor: dict[str, Any]
        out_refund_no: str
        amount: int
        reason: SealedText  # may quote the applicant (a withdrawal's reason)

        def apply(self, aggregate: Any) -> None:
            aggregate.state = "refunding"
            aggregate.refund_requests += 1
            aggregate.out_refund_no = self.out_refund_no
            aggregate.refund_reason = self.reason
            aggregate.refund_id = None

    class RefundAccepted(Aggregate.Event):
        """WeChat Pay took the refund application (the money moves later)."""

        out_refund_no: str
        refund_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.refund_id = self.refund_id

    class Refunded(Aggregate.Event):
        out_refund_no: str
        refund_id: str
        amount: int

        def apply(self, aggregate: Any) -> None:
            aggregate.state = "refunded"
            aggregate.refund_id = self.refund_id
            aggregate.refunded_amount = self.amount

    class RefundFailed(Aggregate.Event):
        """The refund did not go through (WeChat refused or closed it): it may be asked again."""

        out_refund_no: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.state = "paid"
            aggregate.problems = [*aggregate.problems, self.reason]

    # --- state --------------------------------------------------------------------------------

    def __init__(
        self,
        *,
        application_id: UUID,
        citizen_id: UUID,
        out_trade_no: str,
        attempt: int,
        amount: int,
        description: str,
        starts_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.application_id = application_id
        self.citizen_id = citizen_id
        self.out_trade_no = out_trade_no
        self.attempt = attempt
        self.amount = amount
        self.description = description
        self.starts_at = starts_at
        self.expires_at = expires_at
        self.state: PaymentState = "created"
        self.prepay_id: str | None = None
        self.transaction_id: str | None = None
        self.paid_at: str | None = None
        self.problems: list[str] = []
        self.refund_requests = 0
        self.out_refund_no: str | None = None
        self.refund_reason: SealedText | None = None
        self.refund_id: str | None = None
        self.refunded_amount = 0

    @classmethod
    def create(
        cls,
        *,
        application_id: UUID,
        citizen_id: UUID,
        application_number: str,
        attempt: int,
        amount: int,
        description: str,
        at: datetime,
        expires_at: datetime,
    ) -> Payment:
        """A new order for the fee; ``amount`` in fen, ``expires_at`` after ``at``."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValidationFailed("金额应为正整数（分）", {"amount": "应大于0"})
        if expires_at <= at:
            raise ValidationFailed("订单的过期时间须晚于创建时间", {"expiresAt": "须更晚"})
        check_text(description=description)
        out_trade_no = out_trade_no_for(application_number, attempt)
        return cls._create(
            cls.Created,
            id=payment_id(out_trade_no),
            timestamp=at,
            application_id=application_id,
            citizen_id=citizen_id,
            out_trade_no=out_trade_no,
            attempt=attempt,
            amount=amount,
            description=description,
            starts_at=at,
            expires_at=expires_at,
        )

    @property
    def is_open(self) -> bool:
        """Not paid and not closed: the citizen may still pay it."""
        return self.state == "created"

    def is_expired(self, now: datetime) -> bool:
        """Open, but past its expiry: to be closed at WeChat before anything else."""
        return self.is_open and now >= self.expires_at

    # --- commands -----------------------------------------------------------------------------

    def place(self, *, prepay_id: str, at: datetime) -> bool:
        """Record the ``prepay_id`` of the unified order; the same one again changes nothing."""
        if not prepay_id:
            raise ValidationFailed("缺少预支付交易会话标识（prepay_id）", {"prepayId": "必填"})
        if self.prepay_id == prepay_id:
            return False
        if not self.is_open:
            raise InvalidState(
                f"支付订单当前为“{PAYMENT_NAMES[self.state]}”，不能下单", code="order_not_open"
            )
        check_text(prepayId=prepay_id)
        self.trigger_event(self.OrderPlaced, timestamp=at, prepay_id=prepay_id)
        return True

    def record_paid(
        self, *, transaction_id: str, amount: int, paid_at: str, source: str, at: datetime
    ) -> bool:
        """The money was taken; True when this is news, False for a replay of the same one.

        A verified payment on an order we had closed is still recorded (the money is real),
        and flagged. Another transaction on an order already paid is refused.
        """
        if not transaction_id:
            raise ValidationFailed(
                "缺少微信支付订单号（transaction_id）", {"transactionId": "必填"}
            )
        if amount != self.amount:
            raise ValidationFailed("支付金额与订单金额不符", {"amount": f"应为{self.amount}分"})
        if self.transaction_id is not None:
            if transaction_id == self.transaction_id:
                return False
            raise InvalidState("该订单已由另一笔交易支付", code="paid_by_another_transaction")
        check_text(transactionId=transaction_id, paidAt=paid_at)
        was_closed = self.state == "closed"
        self.trigger_event(
            self.Paid,
            timestamp=at,
            transaction_id=transaction_id,
            amount=amount,
            paid_at=paid_at,
            source=source,
        )
        if was_closed:
            self.report_problem(
                reason="订单关闭后仍收到支付，需核实退款", transaction_id=transaction_id, at=at
            )
        return True

    def report_problem(self, *, reason: str, transaction_id: str | None, at: datetime) -> bool:
        """Flag the order for a person; the same reason twice is recorded once."""
        if not reason.strip():
            raise ValidationFailed("请说明问题所在", {"reason": "必填"})
        check_text(reason=reason)
        if reason in self.problems:
            return False
        self.trigger_event(
            self.ProblemFound, timestamp=at, reason=reason, transaction_id=transaction_id
        )
        return True

    def close(self, *, reason: str, at: datetime) -> bool:
        """Closed at WeChat; False when there was nothing open to close (paid, closed)."""
        if not self.is_open:
            return False
        check_text(reason=reason)
        self.trigger_event(self.Closed, timestamp=at, reason=reason)
        return True

    def request_refund(self, *, actor: Actor, reason: str, at: datetime) -> str:
        """Give the whole fee back; returns the new ``out_refund_no``."""
        if self.state == "refunding":
            raise InvalidState("该笔费用的退款正在处理中", code="refund_in_progress")
        if self.state != "paid":
            raise InvalidState(
                f"订单当前为“{PAYMENT_NAMES[self.state]}”，不能退款", code="not_refundable"
            )
        if not reason.strip():
            raise ValidationFailed("退款须写明原因", {"reason": "必填"})
        check_text(reason=reason)
        out_refund_no = f"{self.out_trade_no}-R{self.refund_requests + 1}"
        self.trigger_event(
            self.RefundRequested,
            timestamp=at,
            actor=actor.as_record(),
            out_refund_no=out_refund_no,
            amount=self.amount,
            reason=seal(self.citizen_id, reason),
        )
        return out_refund_no

    def accept_refund(self, *, out_refund_no: str, refund_id: str, at: datetime) -> bool:
        """WeChat took the refund application; False when known or no longer current."""
        if self.state != "refunding" or out_refund_no != self.out_refund_no:
            return False
        if self.refund_id == refund_id:
            return False
        check_text(refundId=refund_id)
        self.trigger_event(
            self.RefundAccepted, timestamp=at, out_refund_no=out_refund_no, refund_id=refund_id
        )
        return True

    def record_refunded(
        self, *, out_refund_no: str, refund_id: str, amount: int, at: datetime
    ) -> bool:
        """The money went back; True when this is news, False for a replay."""
        if self.state == "refunded" and out_refund_no == self.out_refund_no:
            return False
        if self.state != "refunding" or out_refund_no != self.out_refund_no:
            raise InvalidState(
                f"该订单没有正在处理的退款{out_refund_no}", code="no_refund_under_way"
            )
        if amount != self.amount:
            raise ValidationFailed("退款金额与申请金额不符", {"amount": f"应为{self.amount}分"})
        check_text(refundId=refund_id)
        self.trigger_event(
            self.Refunded,
            timestamp=at,
            out_refund_no=out_refund_no,
            refund_id=refund_id,
            amount=amount,
        )
        return True

    def record_refund_failure(self, *, out_refund_no: str, reason: str, at: datetime) -> bool:
        """The refund failed; the payment is back to paid (a person asks again)."""
        if self.state != "refunding" or out_refund_no != self.out_refund_no:
            return False
        check_text(reason=reason)
        self.trigger_event(
            self.RefundFailed, timestamp=at, out_refund_no=out_refund_no, reason=reason
        )
        return True
