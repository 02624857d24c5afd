"""After approval: the fee (一键缴费) and courier delivery of the result (审批结果快递送达).

The Payment and Delivery aggregates keep their own streams (WeChat Pay orders, courier scans);
these events are what the application itself must know, so that its status, progress and
stuck-case reasons follow them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from domain.actors import Actor
from domain.application.access import CaseAccess
from domain.application.citizen import fee_due
from domain.application.status import STATUS_NAMES
from domain.application.values import check_text
from domain.errors import Forbidden, InvalidState, ValidationFailed
from domain.personal import SealedText, seal

if TYPE_CHECKING:
    from domain.application.values import Delivery

__all__ = [
    "DELIVERY_STEPS",
    "Delivered",
    "DeliveryDispatched",
    "DeliveryFailed",
    "DeliveryProgressed",
    "Fulfilment",
    "Paid",
    "PaymentProblem",
    "Refunded",
    "SwitchedToPickup",
]

# Scans between dispatch and the door, as the citizen sees them.
DELIVERY_STEPS = ("picked_up", "in_transit", "out_for_delivery")


class Paid(Aggregate.Event):
    """The fee was paid (a verified WeChat Pay notification or a reconciled order query)."""

    payment_id: str
    amount: int
    transaction_id: str

    def apply(self, aggregate: Any) -> None:
        aggregate.status = "approved"
        aggregate.paid_amount = self.amount
        aggregate.payment_problem = None


class PaymentProblem(Aggregate.Event):
    """A payment could not be taken as it was (wrong amount, merchant, ...): a case to look at."""

    reason: str

    def apply(self, aggregate: Any) -> None:
        aggregate.payment_problem = self.reason


class Refunded(Aggregate.Event):
    payment_id: str
    amount: int
    reason: SealedText

    def apply(self, aggregate: Any) -> None:
        aggregate.refunded_amount = aggregate.refunded_amount + self.amount


class DeliveryDispatched(Aggregate.Event):
    """A courier company was booked for the result (again, after a failure)."""

    delivery_id: str
    company: str
    waybill_no: str

    def apply(self, aggregate: Any) -> None:
        aggregate.status = "delivering"
        aggregate.delivery_failed = False


class DeliveryProgressed(Aggregate.Event):
    step: str
    location: str
    note: SealedText


class DeliveryFailed(Aggregate.Event):
    """An attempt failed; ``final`` (too many attempts, or returned) needs a supervisor."""

    reason: SealedText  # the courier's words about the recipient
    attempts: int
    final: bool

    def apply(self, aggregate: Any) -> None:
        aggregate.delivery_failed = self.final


class Delivered(Aggregate.Event):
    signed_by: SealedText  # a person's name

    def apply(self, aggregate: Any) -> None:
        aggregate.status = "completed"
        aggregate.finished_at = self.timestamp


class SwitchedToPickup(Aggregate.Event):
    """A supervisor gave up on the courier: the citizen collects the result instead."""

    actor: dict[str, Any]
    reason: str

    def apply(self, aggregate: Any) -> None:
        aggregate.status = "ready_for_pickup"
        aggregate.delivery_failed = False


class Fulfilment(CaseAccess):
    """The application's commands for payment and delivery (mixed into ``Application``)."""

    if TYPE_CHECKING:

        @property
        def delivery(self) -> Delivery: ...

        @property
        def fee(self) -> int: ...

    def record_payment(
        self, *, payment_id: str, amount: int, transaction_id: str, at: datetime
    ) -> None:
        """The fee arrived; a second notice of the same payment changes nothing."""
        if not fee_due(self):
            if self.paid_amount:
                return  # already paid: replays and late duplicates are no-ops
            raise InvalidState(
                f"办件当前为“{STATUS_NAMES[self.status]}”，无需缴费", code="no_fee_due"
            )
        if amount != self.fee:
            raise ValidationFailed("支付金额与应缴费用不符", {"amount": f"应为{self.fee}分"})
        self.trigger_event(
            Paid,
            timestamp=at,
            payment_id=payment_id,
            amount=amount,
            transaction_id=transaction_id,
        )

    def report_payment_problem(self, *, reason: str, at: datetime) -> None:
        """Record why a payment could not be accepted (shows as a stuck case)."""
        check_text(reason=reason)
        self.trigger_event(PaymentProblem, timestamp=at, reason=reason)

    def record_refund(self, *, payment_id: str, amount: int, reason: str, at: datetime) -> None:
        """Money went back to the citizen (never more than was paid)."""
        check_text(reason=reason)
        if amount <= 0 or self.refunded_amount + amount > self.paid_amount:
            raise ValidationFailed("退款金额超过已缴金额", {"amount": "超过已缴金额"})
        self.trigger_event(
            Refunded,
            timestamp=at,
            payment_id=payment_id,
            amount=amount,
            reason=seal(self.citizen_id, reason),
        )

    def dispatch_delivery(
        self, *, delivery_id: str, company: str, waybill_no: str, at: datetime
    ) -> None:
        """The courier company has the result; re-dispatch after a final failure."""
        if self.delivery.method != "courier":
            raise InvalidState(
                "该办件的结果在窗口领取，无需寄送", code="result_collected_at_window"
            )
        redispatch = self.status == "delivering" and self.delivery_failed
        if self.status != "result_issued" and not redispatch:
            raise InvalidState(
                f"办件当前为“{STATUS_NAMES[self.status]}”，不能寄送结果", code="cannot_dispatch_now"
            )
        check_text(company=company, waybillNo=waybill_no)
        self.trigger_event(
            DeliveryDispatched,
            timestamp=at,
            delivery_id=delivery_id,
            company=company,
            waybill_no=waybill_no,
        )

    def record_delivery_step(self, *, step: str, location: str, note: str, at: datetime) -> None:
        """A scan on the way (picked up, in transit, out for delivery)."""
        if step not in DELIVERY_STEPS:
            raise ValidationFailed(
                "未知的投递环节", {"type": f"应为{'、'.join(DELIVERY_STEPS)}之一"}
            )
        self._ensure_delivering()
        check_text(location=location, note=note)
        self.trigger_event(
            DeliveryProgressed,
            timestamp=at,
            step=step,
            location=location,
            note=seal(self.citizen_id, note),
        )

    def record_delivery_failure(
        self, *, reason: str, attempts: int, final: bool, at: datetime
    ) -> None:
        """A failed attempt; the citizen is told, and a final one waits for a supervisor."""
        self._ensure_delivering()
        check_text(reason=reason)
        self.trigger_event(
            DeliveryFailed,
            timestamp=at,
            reason=seal(self.citizen_id, reason),
            attempts=attempts,
            final=final,
        )

    def record_delivered(self, *, signed_by: str, at: datetime) -> None:
        """Signed for at the door: the case is completed."""
        self._ensure_delivering()
        check_text(signedBy=signed_by)
        self.trigger_event(Delivered, timestamp=at, signed_by=seal(self.citizen_id, signed_by))

    def switch_to_pickup(self, *, actor: Actor, reason: str, at: datetime) -> None:
        """After failed deliveries, the citizen collects the result at the window instead."""
        if not actor.oversees_all:
            raise Forbidden("仅督办人员和管理员可以更改领取方式")
        if self.status not in ("result_issued", "delivering"):
            raise InvalidState(
                f"办件当前为“{STATUS_NAMES[self.status]}”，结果尚未寄出", code="result_not_out"
            )
        check_text(reason=reason)
        if not reason.strip():
            raise ValidationFailed("请写明原因", {"reason": "必填"})
        self.trigger_event(SwitchedToPickup, timestamp=at, actor=actor.as_record(), reason=reason)

    def _ensure_delivering(self) -> None:
        if self.status != "delivering":
            raise InvalidState(
                f"办件当前为“{STATUS_NAMES[self.status]}”，结果尚未寄出", code="result_not_out"
            )
