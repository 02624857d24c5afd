"""Application progress: the citizen's timeline, "my applications", and the work queues."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from domain.application import Application
from projections.texts import STATUS_TEXT, fen_to_yuan

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.eventstore.mapper import Event

__all__ = ["ProgressProjection", "queue_of"]

_QUEUE = {
    "submitted": "acceptance",
    "accepted": "review",
    "under_review": "review",
    "approved": "issue",
}


def queue_of(status: str) -> str | None:
    """Which operator queue an application in this status sits in."""
    return _QUEUE.get(status)


def _pending(status: str, work: dict[str, Any]) -> list[str]:
    stages: list[list[str]] = work["stages"]
    if status in ("submitted", "approved"):
        return [work["department"]]
    if status in ("accepted", "under_review") and work["stage"] < len(stages):
        return [d for d in stages[work["stage"]] if d not in work["decisions"]]
    return []


class _View:
    """The row being changed: status, the citizen's detail, and the queues' work data."""

    def __init__(self, status: str, detail: dict[str, Any], work: dict[str, Any]) -> None:
        self.status = status
        self.detail = detail
        self.work = work


# Each handler changes the view and returns the timeline text, if the citizen should see one.
def _accepted(view: _View, event: Application.Accepted) -> str:
    view.status = "accepted"
    view.detail["deadline"] = event.deadline
    return f"{view.work['department']}已受理，承诺{view.work['promisedDays']}个工作日内办结"


def _reviewed(view: _View, event: Application.Reviewed) -> str:
    view.work["decisions"][event.department] = event.decision
    if event.decision == "approve":
        view.status = "under_review"
        return f"{event.department}审查通过"
    return f"{event.department}审查未通过：{event.opinion}"


def _stage_completed(view: _View, event: Application.StageCompleted) -> None:
    view.work["stage"] = event.stage + 1
    view.work["decisions"] = {}


def _approved(view: _View, event: Application.Approved) -> str:
    if event.fee > 0:
        view.status = "awaiting_payment"
        view.detail["payment"] = {"amount": event.fee, "status": "due"}
        return f"审批通过，请缴纳费用{fen_to_yuan(event.fee)}元"
    view.status = "approved"
    return "审批通过，等待出具办理结果"


def _denied(view: _View, event: Application.Denied) -> str:
    view.status = "denied"
    return f"审批未通过：{event.reason}"


def _result_issued(view: _View, event: Application.ResultIssued) -> str:
    if event.method == "pickup":
        view.status = "ready_for_pickup"
        place = view.work.get("pickupPlace") or "办事大厅"
        return f"办理结果已出具（文号{event.document_no}），请到{place}领取"
    view.status = "result_issued"
    view.detail["delivery"] = {"method": "courier", "status": "pending", "events": []}
    return f"办理结果已出具（文号{event.document_no}），等待快递寄出"


def _withdrawn(view: _View, event: Application.Withdrawn) -> str:
    view.status = "withdrawn"
    return "您已撤回申请"


_HANDLERS: dict[type[Any], Callable[[_View, Any], str | None]] = {
    Application.Accepted: _accepted,
    Application.Reviewed: _reviewed,
    Application.StageCompleted: _stage_completed,
    Application.Approved: _approved,
    Application.Denied: _denied,
    Application.ResultIssued: _result_issued,
    Application.Withdrawn: _withdrawn,
}


class ProgressProjection:
    """Keeps ``application_view``: one row per application."""

    name: str = "progress"
    tables: tuple[str, ...] = ("application_view",)

    async def process(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        position: int,
    ) -> None:
        if isinstance(event, Application.Submitted):
            await self._submitted(conn, event)
            return
        handler = _HANDLERS.get(type(event))
        if handler is None:
            return
        row = await conn.fetchrow(
            "SELECT status, detail, work FROM application_view WHERE id = $1", event.originator_id
        )
        if row is None:  # pragma: no cover - a Submitted event always comes first
            return
        view = _View(row["status"], row["detail"], row["work"])
        text = handler(view, event)
        if text is not None:
            view.detail["timeline"].append(
                {"at": event.timestamp.isoformat(), "type": type(event).__name__, "text": text}
            )
        view.detail["status"] = view.status
        view.detail["statusText"] = STATUS_TEXT[view.status]
        await conn.execute(
            "UPDATE application_view SET status = $2, status_text = $3, queue = $4,"
            " pending_departments = $5, updated_at = $6, deadline = $7::text::date, version = $8,"
            " detail = $9, work = $10 WHERE id = $1",
            event.originator_id,
            view.status,
            STATUS_TEXT[view.status],
            queue_of(view.status),
            _pending(view.status, view.work),
            event.timestamp,
            view.detail.get("deadline"),
            event.originator_version,
            view.detail,
            view.work,
        )

    async def _submitted(
        self, conn: asyncpg.Connection | PoolConnectionProxy, event: Application.Submitted
    ) -> None:
        service = event.service
        at = event.timestamp.isoformat()
        detail = {
            "id": str(event.originator_id),
            "number": event.number,
            "serviceCode": service["code"],
            "serviceName": service["name"],
            "status": "submitted",
            "statusText": STATUS_TEXT["submitted"],
            "submittedAt": at,
            "deadline": None,
            "delivery": {"method": event.delivery["method"], "status": "not_started", "events": []},
            "timeline": [{"at": at, "type": "Submitted", "text": "申请已提交，等待窗口受理"}],
        }
        work = {
            "department": service["department"],
            "stages": service["stages"],
            "stage": 0,
            "decisions": {},
            "promisedDays": service["promisedDays"],
            "pickupPlace": service.get("pickupPlace", ""),
        }
        departments: list[str] = [service["department"]]
        for stage in service["stages"]:
            departments.extend(d for d in stage if d not in departments)
        await conn.execute(
            "INSERT INTO application_view (id, number, citizen_id, service_code, service_name,"
            " department, departments, status, status_text, queue, pending_departments,"
            " submitted_at, updated_at, deadline, version, detail, work)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted', $8, 'acceptance', $9, $10, $10,"
            " NULL, $11, $12, $13) ON CONFLICT (id) DO NOTHING",
            event.originator_id,
            event.number,
            event.citizen_id,
            service["code"],
            service["name"],
            service["department"],
            departments,
            STATUS_TEXT["submitted"],
            [service["department"]],
            event.timestamp,
            event.originator_version,
            detail,
            work,
        )
