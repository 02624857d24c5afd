"""Stuck cases (卡件): the rules that say a case needs a supervisor, and why, in words."""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

import msgspec

from domain.application.status import ACTIVE, WAITS_FOR_STAFF
from domain.calendar import WorkingCalendar

__all__ = ["REASONS", "CaseFacts", "StuckReason", "StuckRules", "stuck_reasons"]

# Every reason code a stuck case can have, in the order they are shown.
StuckReason = Literal[
    "overdue",
    "due_soon",
    "department_idle",
    "supplement_waiting",
    "deferred_material_overdue",
    "payment_waiting",
    "delivery_failed",
    "notification_failed",
    "consultation_overdue",  # a consultation (咨询) whose reply is late: domain/consultation
    "certificate_invalid",  # an e-certificate standing for a material was revoked or expired
    "pre_review_overdue",  # a pre-review (预审) whose answer is late: domain/prereview
]
REASONS: tuple[str, ...] = get_args(StuckReason)


class StuckRules(msgspec.Struct, frozen=True):
    """How long is too long, in working days."""

    department_idle_days: int = 3
    supplement_wait_days: int = 5
    payment_wait_days: int = 3

    @property
    def shortest_wait(self) -> int:
        """No case idle for fewer working days than this is stuck for waiting."""
        return min(self.department_idle_days, self.supplement_wait_days, self.payment_wait_days)


class CaseFacts(msgspec.Struct, frozen=True):
    """What the rules look at, as a read model keeps it."""

    status: str
    deadline: date | None
    idle_since: date  # the day of the last step taken
    pending_departments: tuple[str, ...]
    department: str
    deferred_due: date | None = None
    deferred_overdue: bool = False
    payment_problem: str | None = None
    delivery_failed: bool = False


def stuck_reasons(
    facts: CaseFacts, today: date, calendar: WorkingCalendar, rules: StuckRules
) -> list[tuple[str, str]]:
    """Why the case is stuck today: (reason code, explanation for the supervisor)."""
    found: list[tuple[str, str]] = []
    status, deadline = facts.status, facts.deadline
    idle = calendar.working_days_between(facts.idle_since, today)
    if status in ACTIVE and deadline is not None:
        if today > deadline:
            late = calendar.working_days_between(deadline, today)
            found.append(("overdue", f"已超过承诺办结日期{deadline}，逾期{late}个工作日"))
        elif calendar.working_days_between(today, deadline) <= 1:
            left = calendar.working_days_between(today, deadline)
            found.append(("due_soon", f"距承诺办结日期{deadline}仅剩{left}个工作日"))
    if status in WAITS_FOR_STAFF and idle >= rules.department_idle_days:
        who = "、".join(facts.pending_departments) or facts.department
        found.append(("department_idle", f"{who}已{idle}个工作日未处理"))
    if status == "supplement_requested" and idle >= rules.supplement_wait_days:
        found.append(("supplement_waiting", f"等待申请人补正材料已{idle}个工作日"))
    due = facts.deferred_due
    if due is not None and (facts.deferred_overdue or due < today):
        found.append(("deferred_material_overdue", f"容缺材料逾期未补交（应于{due}前补交）"))
    if status == "awaiting_payment" and facts.payment_problem:
        found.append(("payment_waiting", f"缴费异常：{facts.payment_problem}"))
    elif status == "awaiting_payment" and idle >= rules.payment_wait_days:
        found.append(("payment_waiting", f"审批通过后等待缴费已{idle}个工作日"))
    if facts.delivery_failed:
        found.append(("delivery_failed", "快递投递失败，需重新派送或改为自取"))
    return found
