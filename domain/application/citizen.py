"""What the applicant may do on their application now, as one pure function of the case.

The mini-program shows a button for each action ``citizen_actions`` offers, so it copies no
rule; the aggregates' own checks use the same predicates (``may_withdraw``, ``fee_due``,
``awaits_materials``, ``evaluation_until``; ``Appointment.cancel_deadline``), so a button is
never offered for a command that would be refused for the case's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, get_args

import msgspec

from domain.application.status import CLOSED, DECIDED, FINISHED
from domain.appointment import cancel_deadline

if TYPE_CHECKING:
    from domain.application.state import CaseState

__all__ = [
    "CITIZEN_ACTIONS",
    "EVALUATION_WINDOW",
    "BookingFact",
    "CitizenAction",
    "awaits_materials",
    "citizen_actions",
    "evaluation_until",
    "fee_due",
    "may_book",
    "may_withdraw",
    "open_now",
]

CitizenAction = Literal["withdraw", "pay", "supplement", "evaluate", "book", "cancelAppointment"]
CITIZEN_ACTIONS: tuple[CitizenAction, ...] = get_args(CitizenAction)
EVALUATION_WINDOW = timedelta(days=30)  # 好差评 is open this long after the case is finished


class BookingFact(msgspec.Struct, frozen=True):
    """The hall visit booked for the application, as far as the citizen's actions need it."""

    status: str  # booked | cancelled | checked_in | missed
    start: datetime


def may_withdraw(case: CaseState) -> bool:
    """Before a decision; or after paying the fee and before the result (the fee is refunded)."""
    return case.status not in DECIDED or case.paid_and_not_issued


def fee_due(case: CaseState) -> bool:
    """The fee is assessed and not paid yet."""
    return case.status == "awaiting_payment"


def awaits_materials(case: CaseState) -> bool:
    """A supplement notice is open, or deferred (容缺) materials may still be handed in."""
    return case.status == "supplement_requested" or (
        bool(case.deferred) and case.status not in DECIDED
    )


def evaluation_until(case: CaseState) -> datetime | None:
    """Until when the applicant may evaluate (好差评): finished, not rated yet; else None."""
    if case.status not in FINISHED or case.finished_at is None or case.rating is not None:
        return None
    return case.finished_at + EVALUATION_WINDOW


def may_book(case: CaseState, *, needs_appointment: bool, booking: BookingFact | None) -> bool:
    """The item needs a visit to the hall, the case is still open, and no visit is booked."""
    booked = booking is not None and booking.status == "booked"
    return needs_appointment and case.status not in CLOSED and not booked


def citizen_actions(
    case: CaseState,
    *,
    needs_appointment: bool,
    booking: BookingFact | None,
    cancel_cutoff: timedelta,
) -> dict[CitizenAction, datetime | None]:
    """Each action the applicant may take, with the moment it closes (None: no time limit).

    ``open_now`` drops those whose moment has passed; the rest hold until the case moves."""
    offered: dict[CitizenAction, datetime | None] = {}
    if may_withdraw(case):
        offered["withdraw"] = None
    if fee_due(case):
        offered["pay"] = None
    if awaits_materials(case):
        offered["supplement"] = None
    until = evaluation_until(case)
    if until is not None:
        offered["evaluate"] = until
    if may_book(case, needs_appointment=needs_appointment, booking=booking):
        offered["book"] = None
    if booking is not None and booking.status == "booked":  # whatever became of the case
        offered["cancelAppointment"] = cancel_deadline(booking.start, cancel_cutoff)
    return offered


def open_now(
    actions: tuple[str, ...], until: Mapping[str, datetime], at: datetime
) -> tuple[str, ...]:
    """The actions of ``actions`` still open at ``at`` (``until`` holds their closing times)."""
    return tuple(a for a in actions if a not in until or at < until[a])
