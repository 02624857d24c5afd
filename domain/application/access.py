"""Who may see and act on an application: the checks every command of it starts with."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from domain.application.state import CaseState
from domain.application.status import STATUS_NAMES
from domain.application.values import ServiceSnapshot
from domain.errors import Forbidden, InvalidState, NotFound

if TYPE_CHECKING:
    from domain.actors import Actor
    from domain.calendar import WorkingCalendar

__all__ = ["CaseAccess", "may_see_personal_data"]


class CaseAccess(CaseState):
    """The access rules and the pinned service, over the case state (mixed into
    ``Application``)."""

    citizen_id: UUID
    service_record: dict[str, Any]

    if TYPE_CHECKING:

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    @property
    def service(self) -> ServiceSnapshot:
        """The part of the service item pinned at submission."""
        return msgspec.convert(self.service_record, ServiceSnapshot)

    def _deadlines(self, calendar: WorkingCalendar, start: date) -> tuple[date, date]:
        """The promised and the legal deadline when the clock starts on ``start``."""
        service = self.service
        return (
            calendar.add_working_days(start, service.promised_days),
            calendar.add_working_days(start, service.legal_days),
        )

    def ensure_visible_to(self, actor: Actor) -> None:
        """Citizens see their own; staff the cases of their department once its step is
        reached (``reached_departments``); 404 otherwise, never 403."""
        if actor.role == "citizen":
            visible = str(self.citizen_id) == actor.id
        elif actor.oversees_all:
            visible = True
        else:
            visible = actor.department in self.reached_departments
        if not visible:
            raise NotFound("办件不存在")

    def _ensure_lead(self, actor: Actor) -> None:
        self.ensure_visible_to(actor)
        if not actor.oversees_all and actor.department != self.lead:
            raise NotFound("办件不存在")

    def _ensure_acting_department(self, actor: Actor) -> None:
        """The lead department, or one the current stage waits for."""
        self.ensure_visible_to(actor)
        if actor.oversees_all or actor.department == self.lead:
            return
        if actor.department not in self.pending_departments:
            raise InvalidState("当前环节不由本部门办理", code="not_your_turn")

    @staticmethod
    def _ensure_supervisor(actor: Actor) -> None:
        if not actor.oversees_all:
            raise Forbidden("仅督办人员和管理员可以执行此操作")

    def _ensure_status(self, allowed: Collection[str], action: str, code: str) -> None:
        """``action`` in Chinese (受理, 审查...); ``code`` the problem's code when refused."""
        if self.status not in allowed:
            raise InvalidState(f"办件当前为“{STATUS_NAMES[self.status]}”，不能{action}", code=code)


def may_see_personal_data(actor: Actor, case: CaseState) -> bool:
    """Who may reveal the applicant's personal data (form, address) of a case: the lead
    department's clerks, reviewers of a department whose step is reached, supervisors and
    admins.
    Everyone else sees the case without them; every reveal is recorded by the caller."""
    if actor.oversees_all:
        return True
    if actor.role == "clerk":
        return actor.department == case.lead
    if actor.role == "reviewer":
        return actor.department in case.reached_departments
    return False
