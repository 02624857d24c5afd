"""Courier delivery of a result (审批结果快递送达): one courier order, from request to the door.

A ``Delivery`` is one order with one courier company: requested when a result is issued for
courier delivery (or re-dispatched after a final failure), booked when the company hands out a
waybill number, then scanned on the way (picked up, in transit, out for delivery) until it is
signed for, fails too often, is returned, or is cancelled because the citizen collects the result
at the window instead. Scans come from the company's route pushes and from courier staff in the
app; the same rules hold for both.

The application keeps its own events for what the citizen sees (``domain.application.fulfilment``);
the functions at the bottom change both aggregates together so they never disagree. The address
is not copied here: it stays with the application (PII in one place only).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from domain.application.status import STATUS_NAMES
from domain.application.values import check_text
from domain.calendar import CST
from domain.errors import Forbidden, InvalidState, ValidationFailed
from domain.personal import SealedText, seal

if TYPE_CHECKING:
    from domain.actors import Actor
    from domain.application import Application

__all__ = [
    "CLOSED",
    "IN_FLIGHT",
    "OPEN",
    "REPORT_KINDS",
    "Delivery",
    "DeliveryStatus",
    "Report",
    "book",
    "cancel_for_pickup",
    "order_id_of",
    "record_report",
]

RETURNED = "快件已退回"

DeliveryStatus = Literal[
    "requested",
    "booked",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "attempt_failed",
    "delivered",
    "failed",
    "returned",
    "cancelled",
]
# The parcel is with the courier company (a scan may come in).
IN_FLIGHT: frozenset[str] = frozenset(
    {"picked_up", "in_transit", "out_for_delivery", "attempt_failed"}
)
# Couriers have something to do: booked (to be picked up) or on the way.
OPEN: frozenset[str] = frozenset({"booked", *IN_FLIGHT})
CLOSED: frozenset[str] = frozenset({"delivered", "failed", "returned", "cancelled"})
DELIVERY_NAMES: dict[str, str] = {
    "requested": "待下单",
    "booked": "待揽收",
    "picked_up": "已揽收",
    "in_transit": "运输中",
    "out_for_delivery": "派送中",
    "attempt_failed": "投递未成功",
    "delivered": "已签收",
    "failed": "投递失败",
    "returned": "已退回",
    "cancelled": "已取消",
}

ReportKind = Literal[
    "picked_up", "in_transit", "out_for_delivery", "delivered", "failed", "returned"
]
REPORT_KINDS: tuple[str, ...] = (
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "failed",
    "returned",
)
# Where each scan may come from. In transit and out for delivery again after a failed attempt:
# the parcel went back to the station and out again. A repeated transit scan is a new hub.
_SCAN_FROM: dict[str, frozenset[str]] = {
    "picked_up": frozenset({"booked"}),
    "in_transit": frozenset({"picked_up", "in_transit", "attempt_failed"}),
    "out_for_delivery": frozenset({"picked_up", "in_transit", "attempt_failed"}),
}


def order_id_of(delivery_id: UUID) -> str:
    """Our order id at the courier company (SF ``orderId``): one per delivery, so booking the
    same delivery again can never create a second parcel."""
    return f"OW{delivery_id.hex.upper()}"


class Report(msgspec.Struct, frozen=True, kw_only=True):
    """What a courier (or the company's route push) says happened to the parcel."""

    kind: ReportKind
    at: datetime
    location: str = ""
    note: str = ""
    signed_by: str = ""
    file_id: str | None = None
    reason: str = ""


class Delivery(Aggregate):
    """One courier order for the result of one application."""

    class DeliveryRequested(Aggregate.Created):
        application_id: UUID
        company: str
        order_id: str
        max_attempts: int
        redispatch: bool
        requested_by: dict[str, Any] | None = None  # who re-dispatched; None: the system
        owner: UUID | None = None  # the applicant: couriers' words about them are sealed

    class DeliveryBooked(Aggregate.Event):
        waybill_no: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "booked"
            aggregate.waybill_no = self.waybill_no

    class DeliveryScanned(Aggregate.Event):
        step: str
        location: str
        note: SealedText
        actor: dict[str, Any] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = self.step

    class DeliveryAttemptFailed(Aggregate.Event):
        reason: SealedText
        location: str
        attempts: int
        final: bool
        actor: dict[str, Any] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.attempts = self.attempts
            aggregate.status = "failed" if self.final else "attempt_failed"

    class DeliverySignedFor(Aggregate.Event):
        """Proof of delivery: who signed, and optionally a photo (an uploaded file)."""

        signed_by: SealedText
        file_id: str | None
        location: str
        actor: dict[str, Any] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "delivered"
            aggregate.signed_by = self.signed_by
            aggregate.proof_file_id = self.file_id

    class DeliveryReturned(Aggregate.Event):
        reason: SealedText
        location: str
        actor: dict[str, Any] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "returned"

    class DeliveryCancelled(Aggregate.Event):
        reason: str
        actor: dict[str, Any] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "cancelled"

    def __init__(
        self,
        *,
        application_id: UUID,
        company: str,
        order_id: str,
        max_attempts: int,
        redispatch: bool,
        requested_by: dict[str, Any] | None = None,
        owner: UUID | None = None,
    ) -> None:
        self.application_id = application_id
        self.owner = owner
        self.company = company
        self.order_id = order_id
        self.max_attempts = max_attempts
        self.redispatch = redispatch
        self.requested_by = requested_by
        self.status: DeliveryStatus = "requested"
        self.waybill_no: str | None = None
        self.attempts = 0
        self.signed_by: SealedText | None = None
        self.proof_file_id: str | None = None

    # --- commands -----------------------------------------------------------------------------

    @classmethod
    def request(
        cls,
        *,
        id: UUID,
        application: Application,
        company: str,
        max_attempts: int,
        at: datetime,
        actor: Actor | None = None,
    ) -> Delivery:
        """A courier order for the result: once it is issued, again after a final failure
        (a re-dispatch, by a supervisor: ``actor``)."""
        if application.delivery.method != "courier":
            raise InvalidState(
                "该办件的结果在窗口领取，无需寄送", code="result_collected_at_window"
            )
        redispatch = application.status == "delivering" and application.delivery_failed
        if application.status != "result_issued" and not redispatch:
            why = "且投递未失败" if application.status == "delivering" else ""
            raise InvalidState(
                f"办件当前为“{STATUS_NAMES[application.status]}”{why}，没有需要寄送的结果",
                code="nothing_to_dispatch",
            )
        if redispatch and (actor is None or not actor.oversees_all):
            raise Forbidden("仅督办人员和管理员可以重新派送")
        if max_attempts < 1:
            raise ValidationFailed("至少派送一次", {"maxAttempts": "至少为1"})
        check_text(company=company)
        return cls._create(
            cls.DeliveryRequested,
            id=id,
            timestamp=at,
            application_id=application.id,
            company=company,
            order_id=order_id_of(id),
            max_attempts=max_attempts,
            redispatch=redispatch,
            requested_by=actor.as_record() if actor is not None else None,
            owner=application.citizen_id,
        )

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def book(self, *, waybill_no: str, at: datetime) -> None:
        """The company accepted the order and gave it a waybill number."""
        if self.status != "requested":
            raise InvalidState(
                f"快递当前为“{DELIVERY_NAMES[self.status]}”，不在待下单状态",
                code="delivery_not_waiting",
            )
        if not waybill_no.strip():
            raise ValidationFailed("请填写运单号", {"waybillNo": "必填"})
        check_text(waybillNo=waybill_no)
        self.trigger_event(self.DeliveryBooked, timestamp=at, waybill_no=waybill_no.strip())

    def check(self, report: Report, *, by_company: bool = False) -> None:
        """Raise the error ``report`` would raise, changing nothing.

        ``by_company``: the company's own push. Its word that a parcel was signed for is taken
        even when its pick-up scan never reached us; couriers in the app scan the pick-up first.
        """
        check_text(
            location=report.location,
            note=report.note,
            signedBy=report.signed_by,
            reason=report.reason,
        )
        if not by_company and report.at < self.modified_on:
            # a courier's scan cannot come before what the delivery already knows (the
            # dispatch, the last scan); the company's pushes are dated by the caller instead
            raise ValidationFailed(
                "该时间早于快递的上一环节",
                {"at": f"不能早于{self.modified_on.astimezone(CST).isoformat()}"},
                code="event_before_last_step",
            )
        if report.kind in _SCAN_FROM:
            self._ensure(_SCAN_FROM[report.kind], f"登记“{DELIVERY_NAMES[report.kind]}”")
        elif report.kind == "failed":
            self._ensure(frozenset({"out_for_delivery"}), "登记投递失败")
            if not report.reason.strip():
                raise ValidationFailed("请填写投递失败的原因", {"reason": "必填"})
        elif report.kind == "delivered":
            self._ensure(IN_FLIGHT | {"booked"} if by_company else IN_FLIGHT, "登记签收")
            if not report.signed_by.strip():
                raise ValidationFailed("请填写签收人", {"signedBy": "必填"})
        else:  # returned
            self._ensure(IN_FLIGHT, "登记退回")

    @property
    def attempts_after_failure(self) -> tuple[int, bool]:
        """(attempts, final) if the next attempt fails."""
        attempts = self.attempts + 1
        return attempts, attempts >= self.max_attempts

    def report(self, report: Report, *, actor: Actor | None) -> None:
        """A scan or an outcome; ``actor`` is the courier, or None for the company's push."""
        self.check(report, by_company=actor is None)
        record = actor.as_record() if actor is not None else None
        if report.kind in _SCAN_FROM:
            self.trigger_event(
                self.DeliveryScanned,
                timestamp=report.at,
                step=report.kind,
                location=report.location,
                note=seal(self.owner, report.note),
                actor=record,
            )
        elif report.kind == "failed":
            attempts, final = self.attempts_after_failure
            self.trigger_event(
                self.DeliveryAttemptFailed,
                timestamp=report.at,
                reason=seal(self.owner, report.reason.strip()),
                location=report.location,
                attempts=attempts,
                final=final,
                actor=record,
            )
        elif report.kind == "delivered":
            self.trigger_event(
                self.DeliverySignedFor,
                timestamp=report.at,
                signed_by=seal(self.owner, report.signed_by.strip()),
                file_id=report.file_id,
                location=report.location,
                actor=record,
            )
        else:  # returned
            self.trigger_event(
                self.DeliveryReturned,
                timestamp=report.at,
                reason=seal(self.owner, report.reason.strip() or RETURNED),
                location=report.location,
                actor=record,
            )

    def cancel(self, *, reason: str, actor: Actor | None, at: datetime) -> None:
        """No courier any more (the citizen collects the result at the window)."""
        if self.closed:
            raise InvalidState(
                f"快递当前为“{DELIVERY_NAMES[self.status]}”，不能取消",
                code="cannot_cancel_delivery",
            )
        check_text(reason=reason)
        record = actor.as_record() if actor is not None else None
        self.trigger_event(self.DeliveryCancelled, timestamp=at, reason=reason, actor=record)

    def _ensure(self, allowed: frozenset[str], action: str) -> None:
        if self.status not in allowed:
            what = action.replace("_", " ")
            raise InvalidState(
                f"快递当前为“{DELIVERY_NAMES[self.status]}”，不能{what}",
                code="delivery_step_not_allowed",
            )


# --- both aggregates together -----------------------------------------------------------------


def book(delivery: Delivery, application: Application, *, waybill_no: str, at: datetime) -> None:
    """The company booked the order: the application is out for delivery with this waybill.

    Every check runs before anything changes, so a refusal leaves both aggregates as they were.
    """
    if delivery.status != "requested":
        raise InvalidState(
            f"快递当前为“{DELIVERY_NAMES[delivery.status]}”，不在待下单状态",
            code="delivery_not_waiting",
        )
    if not waybill_no.strip():
        raise ValidationFailed("请填写运单号", {"waybillNo": "必填"})
    application.dispatch_delivery(
        delivery_id=str(delivery.id),
        company=delivery.company,
        waybill_no=waybill_no.strip(),
        at=at,
    )
    delivery.book(waybill_no=waybill_no, at=at)


def record_report(
    delivery: Delivery, application: Application, report: Report, *, actor: Actor | None
) -> None:
    """Record a scan or an outcome on the delivery and what the citizen sees of it.

    The delivery is checked first and changed last, so a refusal by either aggregate leaves
    both as they were.
    """
    if delivery.application_id != application.id:  # pragma: no cover - a wiring error
        raise ValueError("the delivery is not this application's")
    delivery.check(report, by_company=actor is None)
    if report.kind in _SCAN_FROM:
        application.record_delivery_step(
            step=report.kind, location=report.location, note=report.note, at=report.at
        )
    elif report.kind == "failed":
        attempts, final = delivery.attempts_after_failure
        application.record_delivery_failure(
            reason=report.reason.strip(), attempts=attempts, final=final, at=report.at
        )
    elif report.kind == "returned":
        reason = report.reason.strip()
        application.record_delivery_failure(
            reason=f"{RETURNED}：{reason}" if reason and reason != RETURNED else RETURNED,
            attempts=delivery.attempts,
            final=True,
            at=report.at,
        )
    else:
        application.record_delivered(signed_by=report.signed_by.strip(), at=report.at)
    delivery.report(report, actor=actor)


def cancel_for_pickup(
    application: Application, delivery: Delivery | None, *, actor: Actor, reason: str, at: datetime
) -> None:
    """The citizen collects the result instead; an open courier order is cancelled with it."""
    application.switch_to_pickup(actor=actor, reason=reason, at=at)
    if delivery is not None and not delivery.closed:
        delivery.cancel(reason=reason, actor=actor, at=at)
