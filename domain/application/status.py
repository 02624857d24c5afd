"""Application statuses and the groups the rules talk about."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "ACTIVE",
    "ALL",
    "AWAITING_MATERIALS",
    "CLOSED",
    "DECIDED",
    "FINISHED",
    "FORCEABLE",
    "IN_REVIEW",
    "OPEN",
    "WAITS_FOR_STAFF",
    "Status",
]

Status = Literal[
    "submitted",
    "supplement_requested",
    "rejected",
    "accepted",
    "under_review",
    "suspended",
    "approved",
    "denied",
    "awaiting_payment",
    "result_issued",
    "delivering",
    "ready_for_pickup",
    "completed",
    "withdrawn",
]
IN_REVIEW: frozenset[str] = frozenset({"accepted", "under_review"})
# Once one of these is reached the citizen can no longer withdraw.
DECIDED: frozenset[str] = frozenset(
    {
        "rejected",
        "approved",
        "denied",
        "awaiting_payment",
        "result_issued",
        "delivering",
        "ready_for_pickup",
        "completed",
        "withdrawn",
    }
)
# Nothing more happens to the case (only its evaluation): no escalation, no reminders.
CLOSED: frozenset[str] = frozenset({"rejected", "denied", "completed", "withdrawn"})
# 办结: the case is over for the department; it can be evaluated (好差评).
FINISHED: frozenset[str] = frozenset({"rejected", "denied", "completed"})
# The working-day clock runs in these.
ACTIVE: frozenset[str] = frozenset({"accepted", "under_review"})
# Where a supervisor may force a stuck case, with a written reason.
FORCEABLE: frozenset[str] = frozenset(
    {"accepted", "under_review", "approved", "denied", "rejected", "ready_for_pickup", "completed"}
)
# Everything else: the case is still going on somewhere.
ALL: frozenset[str] = frozenset(get_args(Status))
OPEN: frozenset[str] = ALL - CLOSED
# A department has the next move (not the citizen, the payment or the courier).
WAITS_FOR_STAFF: frozenset[str] = frozenset({"submitted", "accepted", "under_review", "approved"})
# Deferred (容缺) materials can still be handed in, so they can be overdue.
AWAITING_MATERIALS: frozenset[str] = ALL - DECIDED
