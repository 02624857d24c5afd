"""Which actions a staff member is offered on a case, so that screens show only the forms that
can succeed. The commands themselves still check every rule (this only mirrors them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.application.status import ACTIVE, DECIDED, IN_REVIEW

if TYPE_CHECKING:
    from domain.actors import Actor
    from domain.application.state import CaseState

__all__ = ["ACTIONS", "offered_actions"]

ACTIONS = (
    "accept",
    "request_supplement",
    "reject",
    "review",
    "suspend",
    "resume",
    "issue_result",
    "hand_over",
    "note",
    "reassign",
    "escalate",
    "force_transition",
    "resend_notifications",
    "redispatch",
    "switch_to_pickup",
)


def offered_actions(actor: Actor, case: CaseState) -> frozenset[str]:
    """The actions of ``ACTIONS`` that ``actor`` may take on ``case`` in its status now."""
    status, overseer = case.status, actor.oversees_all
    lead = overseer or actor.department == case.lead
    lead_desk = overseer or (actor.role == "clerk" and lead)
    acting = overseer or lead or actor.department in case.pending_departments
    offered: set[str] = set()
    if actor.role in ("courier", "citizen", "system"):
        return frozenset()
    offered.add("note")
    if status == "submitted" and lead_desk:
        offered.add("accept")
    if status in {"submitted", *IN_REVIEW} and acting:
        offered.add("request_supplement")
    before_acceptance = status == "submitted" or (
        status == "supplement_requested" and case.resume_status == "submitted"
    )
    if before_acceptance and lead_desk:
        offered.add("reject")
    reviewer = overseer or actor.role == "reviewer"
    pending = overseer or actor.department in case.pending_departments
    if status in IN_REVIEW and reviewer and pending:
        offered.add("review")
    if status in ACTIVE and acting:
        offered.add("suspend")
    if status == "suspended" and (overseer or actor.department in (case.lead, case.suspended_by)):
        offered.add("resume")
    if status == "approved" and lead_desk:
        offered.add("issue_result")
    if status == "ready_for_pickup" and lead_desk:
        offered.add("hand_over")
    if overseer:
        offered |= _supervision(case)
    return frozenset(offered)


def _supervision(case: CaseState) -> set[str]:
    """What supervisors and admins may do besides (督办 and its friends)."""
    status = case.status
    offered = {"resend_notifications"}
    if status not in DECIDED and case.pending_departments:
        offered.add("reassign")
    if not case.closed:
        offered.add("escalate")
    if status not in ("withdrawn", "completed"):
        offered.add("force_transition")
    if status == "delivering" and case.delivery_failed:
        offered.add("redispatch")
    if status in ("result_issued", "delivering"):
        offered.add("switch_to_pickup")
    return offered
