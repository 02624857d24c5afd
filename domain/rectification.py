"""Rectification (整改) of a bad evaluation: follow up, fix, give feedback, close with a note."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.actors import Actor
from domain.application.values import check_text
from domain.errors import Forbidden, InvalidState, ValidationFailed
from domain.personal import SealedText

__all__ = ["STEPS", "Rectification", "rectification_id"]

# The order a rectification goes through; each step is recorded with a note.
STEPS = ("follow_up", "fix", "feedback", "close")
_NAMESPACE = uuid.UUID("a3a4c0de-52d4-4b8e-9a5e-7265637469fe")


def rectification_id(application_id: UUID) -> UUID:
    """One rectification per application, found without a lookup."""
    return uuid.uuid5(_NAMESPACE, str(application_id))


class Rectification(Aggregate):
    """Opened by a rating of 1 or 2; worked through by a supervisor."""

    class Opened(Aggregate.Created):
        application_id: UUID
        number: str
        rating: int
        comment: SealedText  # the applicant's words, sealed under their key
        departments: list[str]

    class StepRecorded(Aggregate.Event):
        actor: dict[str, Any]
        step: str
        note: str

        def apply(self, aggregate: Any) -> None:
            aggregate.steps = [*aggregate.steps, self.step]

    def __init__(
        self,
        *,
        application_id: UUID,
        number: str,
        rating: int,
        comment: SealedText,
        departments: list[str],
    ) -> None:
        self.application_id = application_id
        self.number = number
        self.rating = rating
        self.comment = comment
        self.departments = departments
        self.steps: list[str] = []

    @classmethod
    def open(
        cls,
        *,
        application_id: UUID,
        number: str,
        rating: int,
        comment: SealedText,
        departments: list[str],
        at: datetime,
    ) -> Rectification:
        """Open the item for a bad rating."""
        return cls._create(
            cls.Opened,
            id=rectification_id(application_id),
            timestamp=at,
            application_id=application_id,
            number=number,
            rating=rating,
            comment=comment,
            departments=departments,
        )

    @property
    def closed(self) -> bool:
        return "close" in self.steps

    @property
    def next_step(self) -> str | None:
        return STEPS[len(self.steps)] if len(self.steps) < len(STEPS) else None

    def record(self, *, actor: Actor, step: str, note: str, at: datetime) -> None:
        """Record the next step; steps go in order and closing needs a note."""
        if not actor.oversees_all:
            raise Forbidden("整改由督办人员处理")
        if self.closed:
            raise InvalidState("该整改已关闭", code="rectification_closed")
        if step != self.next_step:
            raise InvalidState(
                f"下一步应为“{self.next_step}”，而不是“{step}”", code="wrong_rectification_step"
            )
        if not note.strip():
            raise ValidationFailed("请填写本步骤的说明", {"note": "必填"})
        check_text(note=note)
        self.trigger_event(
            self.StepRecorded, timestamp=at, actor=actor.as_record(), step=step, note=note
        )
