"""The workflow state of an application, and everything derived from it.

``CaseState`` is the one place that says what an application's status, waiting departments,
operator queue, deadline state and "finished" are. The ``Application`` aggregate *is* a
``CaseState`` (its events' ``apply`` methods assign these fields), and the progress read model
keeps a ``CaseState`` of its own, restored from its row and moved by the very same ``apply``
methods, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from domain.application.status import ACTIVE, CLOSED, IN_REVIEW, Status
from domain.calendar import WorkingCalendar
from domain.deadlines import DeadlineState, deadline_state, working_days_left

__all__ = [
    "CASE_FIELDS",
    "QUEUES",
    "CaseState",
    "DeadlineState",
    "Queue",
    "deadline_bounds",
    "queues_for",
]

Queue = Literal["acceptance", "review", "issue"]
QUEUES: tuple[Queue, ...] = ("acceptance", "review", "issue")

# Which operator queue a status sits in; statuses not listed wait for no operator.
_QUEUE_OF: dict[str, Queue] = {
    "submitted": "acceptance",
    "accepted": "review",
    "under_review": "review",
    "approved": "issue",
    "ready_for_pickup": "issue",
}
# Clerks at the window accept and hand out results; reviewers review; the others see all.
_ROLE_QUEUES: dict[str, tuple[Queue, ...]] = {
    "clerk": ("acceptance", "issue"),
    "reviewer": ("review",),
}
# The lead department holds the case in these (it acts next).
_LEAD_HOLDS = frozenset({"submitted", "approved", "ready_for_pickup"})

# Every field of the state, in the order a record keeps them.
CASE_FIELDS = (
    "status",
    "resume_status",
    "lead",
    "stages",
    "stage",
    "decisions",
    "deadline",
    "legal_deadline",
    "accepted_on",
    "materials",
    "missing",
    "supplement_rounds",
    "deferred",
    "deferred_overdue",
    "remaining",
    "suspended_by",
    "warnings",
    "escalations",
    "document_no",
    "finished_at",
    "rating",
    "paid_amount",
    "refunded_amount",
    "payment_problem",
    "delivery_failed",
)


def queues_for(role: str) -> tuple[Queue, ...]:
    """The operator queues a staff role works (supervisors and admins: all of them)."""
    return _ROLE_QUEUES.get(role, QUEUES)


def deadline_bounds(today: date, calendar: WorkingCalendar) -> tuple[date, date]:
    """For a running clock: a deadline before the first date is overdue, one before the second
    is due soon (at most one working day left), any later one is on time. The same cut as
    ``CaseState.deadline_state``, for filtering rows by deadline."""
    return today, calendar.add_working_days(today, 2)


class CaseState:
    """Status, departments, clock and money of one application (no I/O, no identity)."""

    status: Status
    resume_status: Status | None
    lead: str
    stages: list[list[str]]
    stage: int
    decisions: dict[str, str]
    deadline: str | None
    legal_deadline: str | None
    accepted_on: str | None
    materials: list[dict[str, Any]]
    missing: list[str]
    supplement_rounds: int
    deferred: dict[str, str]
    deferred_overdue: list[str]
    remaining: list[int | None]
    suspended_by: str | None
    warnings: list[str]
    escalations: int
    document_no: str | None
    finished_at: datetime | None
    rating: int | None
    paid_amount: int
    refunded_amount: int
    payment_problem: str | None
    delivery_failed: bool

    def start_case(self, *, department: str, stages: Any, materials: list[dict[str, Any]]) -> None:
        """The state right after submission."""
        self.status = "submitted"
        self.resume_status = None
        self.lead = department
        self.stages = [list(s) for s in stages]
        self.stage = 0
        self.decisions = {}
        self.deadline = None
        self.legal_deadline = None
        self.accepted_on = None
        self.materials = list(materials)
        self.missing = []
        self.supplement_rounds = 0
        self.deferred = {}
        self.deferred_overdue = []
        self.remaining = [None, None]
        self.suspended_by = None
        self.warnings = []
        self.escalations = 0
        self.document_no = None
        self.finished_at = None
        self.rating = None
        self.paid_amount = 0
        self.refunded_amount = 0
        self.payment_problem = None
        self.delivery_failed = False

    @classmethod
    def submitted(
        cls, *, department: str, stages: Any, materials: list[dict[str, Any]]
    ) -> CaseState:
        """A fresh state, as a read model starts one from the ``Submitted`` event."""
        state = cls()
        state.start_case(department=department, stages=stages, materials=materials)
        return state

    # --- derived: what operators and citizens are shown ---------------------------------------

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department that acts on this application, lead first."""
        seen = [self.lead]
        for stage in self.stages:
            seen.extend(d for d in stage if d not in seen)
        return tuple(seen)

    @property
    def reached_departments(self) -> tuple[str, ...]:
        """The departments that see the case: the lead from the start, each other one from
        the moment its review stage is reached, and afterwards (least privilege: a later
        stage's department does not read a case still waiting at the window)."""
        seen = [self.lead]
        if self.accepted_on is not None:  # the review stages begin with acceptance
            for stage in self.stages[: self.stage + 1]:
                seen.extend(d for d in stage if d not in seen)
        return tuple(seen)

    @property
    def pending_departments(self) -> tuple[str, ...]:
        """Departments whose action the application waits for now."""
        if self.status in _LEAD_HOLDS:
            return (self.lead,)
        if self.status in IN_REVIEW and self.stage < len(self.stages):
            return tuple(d for d in self.stages[self.stage] if d not in self.decisions)
        return ()

    @property
    def queue(self) -> Queue | None:
        """The operator queue the application sits in, if it waits for an operator."""
        return _QUEUE_OF.get(self.status)

    @property
    def closed(self) -> bool:
        """Nothing more happens to the case (but its evaluation)."""
        return self.status in CLOSED

    @property
    def clock_running(self) -> bool:
        """The working-day clock runs (accepted and not paused)."""
        return self.status in ACTIVE

    @property
    def paid_and_not_issued(self) -> bool:
        """The fee is paid (and not refunded) and the result is not issued yet."""
        return self.status == "approved" and self.paid_amount > self.refunded_amount

    @property
    def deferred_due(self) -> str | None:
        """The earliest due date of a deferred (容缺) material still outstanding."""
        return min(self.deferred.values()) if self.deferred else None

    @property
    def has_overdue_deferred(self) -> bool:
        """A deferred material is past its due date and still not handed in."""
        return any(m in self.deferred for m in self.deferred_overdue)

    def deadline_state(self, today: date, calendar: WorkingCalendar) -> DeadlineState | None:
        """Yellow and red as the clock sees them today (None: no clock runs)."""
        if not self.clock_running or self.deadline is None:
            return None
        return deadline_state(date.fromisoformat(self.deadline), today, calendar)

    def working_days_left(self, today: date, calendar: WorkingCalendar) -> int | None:
        """Working days until the promised deadline, negative once overdue (None: no clock)."""
        if not self.clock_running or self.deadline is None:
            return None
        return working_days_left(date.fromisoformat(self.deadline), today, calendar)

    # --- a record for read models -------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        """The state as JSON-able values (read models keep it with their row)."""
        record = {name: getattr(self, name) for name in CASE_FIELDS}
        finished = self.finished_at
        record["finished_at"] = finished.isoformat() if finished is not None else None
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> CaseState:
        """Back from ``to_record``."""
        state = cls()
        for name in CASE_FIELDS:
            setattr(state, name, record[name])
        finished = record["finished_at"]
        state.finished_at = datetime.fromisoformat(finished) if finished else None
        return state
