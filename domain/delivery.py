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

from domain.application.values import check_text
from domain.errors import Forbidden, InvalidState, ValidationFailed

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

    class DeliveryBooked(Aggregate.Event):
        waybill_no: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "booked"
            aggregate.waybill_no = self.waybill_no

    class DeliveryScanned(Aggregate.Event):
        step: str
        location: str
        note: str
        actor: dict[str, Any] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = self.step

    class DeliveryAttemptFailed(Aggregate.Event):
        reason: str
        location: str
        attempts: int
        final: bool
        actor: dict[str, Any] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.attempts = self.attempts
            aggregate.status = "failed" if self.final else "attempt_failed"

    class DeliverySignedFor(Aggregate.Event):
        """Proof of delivery: who signed, and optionally a photo (an uploaded file)."""

        signed_by: str
        file_id: str | None
        location: str
        actor: dict[str, Any] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "delivered"
            aggregate.signed_by = self.signed_by
            aggregate.proof_file_id = self.file_id

    class DeliveryReturned(Aggregate.Event):
        reason: str
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
    ) -> None:
        self.application_id = application_id
        self.company = company
        self.order_id = order_id
        self.max_attempts = max_attempts
        self.redispatch = redispatch
        self.requested_by = requested_by
        self.status: DeliveryStatus = "requested"
        self.waybill_no: str | None = None
        self.attempts = 0
        self.signed_by: str | None = None
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
            raise InvalidState("this application's result is collected at the window")
        redispatch = application.status == "delivering" and application.delivery_failed
        if application.status != "result_issued" and not redispatch:
            why = " whose delivery has not failed" if application.status == "delivering" else ""
            raise InvalidState(
                f"nothing to dispatch for an application that is {application.status}{why}"
            )
        if redispatch and (actor is None or not actor.oversees_all):
            raise Forbidden("only supervisors and admins re-dispatch a failed delivery")
        if max_attempts < 1:
            raise ValidationFailed("at least one attempt", {"maxAttempts": "at least 1"})
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
        )

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def book(self, *, waybill_no: str, at: datetime) -> None:
        """The company accepted the order and gave it a waybill number."""
        if self.status != "requested":
            raise InvalidState(f"a delivery that is {self.status} is not waiting to be booked")
        if not waybill_no.strip():
            raise ValidationFailed("waybill number required", {"waybillNo": "required"})
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
                "that time is before the delivery's last step",
                {"at": f"not before {self.modified_on.isoformat()}"},
            )
        if report.kind in _SCAN_FROM:
            self._ensure(_SCAN_FROM[report.kind], f"record {report.kind}")
        elif report.kind == "failed":
            self._ensure(frozenset({"out_for_delivery"}), "record a failed attempt")
            if not report.reason.strip():
                raise ValidationFailed("say why the attempt failed", {"reason": "required"})
        elif report.kind == "delivered":
            self._ensure(IN_FLIGHT | {"booked"} if by_company else IN_FLIGHT, "sign for")
            if not report.signed_by.strip():
                raise ValidationFailed("who signed for it?", {"signedBy": "required"})
        else:  # returned
            self._ensure(IN_FLIGHT, "return")

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
                note=report.note,
                actor=record,
            )
        elif report.kind == "failed":
            attempts, final = self.attempts_after_failure
            self.trigger_event(
                self.DeliveryAttemptFailed,
                timestamp=report.at,
                reason=report.reason.strip(),
                location=report.location,
                attempts=attempts,
                final=final,
                actor=record,
            )
        elif report.kind == "delivered":
            self.trigger_event(
                self.DeliverySignedFor,
                timestamp=report.at,
                signed_by=report.signed_by.strip(),
                file_id=report.file_id,
                location=report.location,
                actor=record,
            )
        else:  # returned
            self.trigger_event(
                self.DeliveryReturned,
                timestamp=report.at,
                reason=report.reason.strip() or RETURNED,
                location=report.location,
                actor=record,
            )

    def cancel(self, *, reason: str, actor: Actor | None, at: datetime) -> None:
        """No courier any more (the citizen collects the result at the window)."""
        if self.closed:
            raise InvalidState(f"a delivery that is {self.status} cannot be cancelled")
        check_text(reason=reason)
        record = actor.as_record() if actor is not None else None
        self.trigger_event(self.DeliveryCancelled, timestamp=at, reason=reason, actor=record)

    def _ensure(self, allowed: frozenset[str], action: str) -> None:
        if self.status not in allowed:
            what = action.replace("_", " ")
            raise InvalidState(f"cannot {what}: the delivery is {self.status}")


# --- both aggregates together -----------------------------------------------------------------


def book(delivery: Delivery, application: Application, *, waybill_no: str, at: datetime) -> None:
    """The company booked the order: the application is out for delivery with this waybill.

    Every check runs before anything changes, so a refusal leaves both aggregates as they were.
    """
    if delivery.status != "requested":
        raise InvalidState(f"a delivery that is {delivery.status} is not waiting to be booked")
    if not waybill_no.strip():
        raise ValidationFailed("waybill number required", {"waybillNo": "required"})
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
