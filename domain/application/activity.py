"""Which events of a case are a step taken, for the idle clock of stuck cases."""

from __future__ import annotations

from typing import Any

from domain.application import fulfilment
from domain.application.aggregate import Application

__all__ = ["moves_the_case"]

# Bookkeeping, and a supervisor pressing, commenting or resending: the department has still
# not acted.
_NOT_A_STEP: tuple[type[Any], ...] = (
    fulfilment.PaymentProblem,
    Application.DeadlineWarning,
    Application.DeferredMaterialOverdue,
    Application.Escalated,
    Application.NoteAdded,
    Application.NotificationsResent,
)


def moves_the_case(event: object) -> bool:
    """True when ``event`` is a step of the case (it resets how long the case has been idle)."""
    return not isinstance(event, _NOT_A_STEP)
