"""The closed sets of values the progress view writes (its API answer types them as enums).

``tests/unit/test_progress_values.py`` holds them against the handlers of
``projections.progress_view``: a handler that writes a new value must add it here.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "BookingStatus",
    "DeliveryEventType",
    "DeliveryProgress",
    "PaymentProgress",
    "TimelineType",
]

# the event behind a timeline entry (the application's, or a booking's linked to it)
TimelineType = Literal[
    "Submitted",
    "Accepted",
    "SupplementRequested",
    "SupplementProvided",
    "SupplementCompleted",
    "DeferredMaterialsProvided",
    "DeferredMaterialOverdue",
    "Rejected",
    "Reviewed",
    "Approved",
    "Denied",
    "Suspended",
    "Resumed",
    "ResultIssued",
    "ResultCollected",
    "Withdrawn",
    "Reassigned",
    "TransitionForced",
    "Evaluated",
    "Paid",
    "Refunded",
    "DeliveryDispatched",
    "DeliveryProgressed",
    "DeliveryFailed",
    "Delivered",
    "SwitchedToPickup",
    "AppointmentBooked",
    "AppointmentCancelled",
    "AppointmentCheckedIn",
    "AppointmentMissed",
]
# the fee as the citizen sees it: to pay, paid, given back
PaymentProgress = Literal["due", "paid", "refunded"]
# the result's way to the citizen: before a courier has it, on the way, and how it ended
DeliveryProgress = Literal[
    "not_started",
    "pending",
    "dispatched",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "attempt_failed",
    "failed",
    "delivered",
    "switched_to_pickup",
]
DeliveryEventType = Literal[
    "dispatched", "picked_up", "in_transit", "out_for_delivery", "failed", "delivered"
]
# a booking linked to the application (``missed``: not checked in, a no-show)
BookingStatus = Literal["booked", "cancelled", "checked_in", "missed"]
