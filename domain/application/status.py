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
    "STATUS_NAMES",
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

# What each status is called in Chinese (shown to citizens, and in the problems they read).
STATUS_NAMES: dict[str, str] = {
    "submitted": "已提交，待受理",
    "supplement_requested": "待补正材料",
    "rejected": "不予受理",
    "accepted": "已受理",
    "under_review": "审查中",
    "suspended": "暂停办理",
    "approved": "审批通过",
    "denied": "审批未通过",
    "awaiting_payment": "待缴费",
    "result_issued": "已出证，待寄送",
    "delivering": "邮寄中",
    "ready_for_pickup": "待领取",
    "completed": "已办结",
    "withdrawn": "已撤回",
}
