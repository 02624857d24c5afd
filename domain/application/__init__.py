"""The application (办件) aggregate and its value objects."""

from domain.application.aggregate import EVALUATION_WINDOW, Agent, Application
from domain.application.review import DEFER_WORKING_DAYS
from domain.application.state import QUEUES, CaseState, DeadlineState, Queue, queues_for
from domain.application.status import (
    ACTIVE,
    CLOSED,
    DECIDED,
    FINISHED,
    FORCEABLE,
    IN_REVIEW,
    Status,
)
from domain.application.values import (
    Address,
    Delivery,
    MaterialRef,
    PinnedMaterial,
    ServiceSnapshot,
)

__all__ = [
    "ACTIVE",
    "CLOSED",
    "DECIDED",
    "DEFER_WORKING_DAYS",
    "EVALUATION_WINDOW",
    "FINISHED",
    "FORCEABLE",
    "IN_REVIEW",
    "QUEUES",
    "Address",
    "Agent",
    "Application",
    "CaseState",
    "DeadlineState",
    "Delivery",
    "MaterialRef",
    "PinnedMaterial",
    "Queue",
    "ServiceSnapshot",
    "Status",
    "queues_for",
]
