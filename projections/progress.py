"""Application progress: the citizen's timeline, "my applications", queues, stuck cases, stats.

``detail`` is the citizen's view exactly as the API returns it; ``work`` holds what operators'
queries need (stages, decisions, dates); the columns are derived from both on every write.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.application import Application, fulfilment
from domain.appointment import Appointment
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
    "ready_for_pickup": "issue",
}
_FINISHED = ("rejected", "denied", "completed")


def queue_of(status: str) -> str | None:
    """Which operator queue an application in this status sits in."""
    return _QUEUE.get(status)


class _View:
    """The row being changed."""

    def __init__(self, status: str, detail: dict[str, Any], work: dict[str, Any]) -> None:
        self.status = status
        self.detail = detail
        self.work = work

    def names(self, ids: list[str]) -> str:
        names: dict[str, str] = self.work.get("materialNames", {})
        return "、".join(names.get(i, i) for i in ids)

    def pending(self) -> list[str]:
        work = self.work
        stages: list[list[str]] = work["stages"]
        if self.status in ("submitted", "approved", "ready_for_pickup"):
            return [work["department"]]
        if self.status in ("accepted", "under_review") and work["stage"] < len(stages):
            return [d for d in stages[work["stage"]] if d not in work["decisions"]]
        return []

    def departments(self) -> list[str]:
        seen = [self.work["department"]]
        for stage in self.work["stages"]:
            seen.extend(d for d in stage if d not in seen)
        return seen

    def deferred_list(self) -> list[dict[str, str]]:
        names: dict[str, str] = self.work.get("materialNames", {})
        return [
            {"materialId": m, "name": names.get(m, m), "due": due}
            for m, due in sorted(self.work["deferred"].items())
        ]


# Each handler changes the view and returns the citizen's timeline text, or None.
def _accepted(view: _View, event: Application.Accepted) -> str:
    view.status = "accepted"
    view.detail["deadline"] = event.deadline
    view.work["acceptedAt"] = event.timestamp.isoformat()
    view.work["legalDeadline"] = event.legal_deadline
    view.work["deferred"] = dict(event.deferred or {})
    text = f"{view.work['department']}已受理，承诺{view.work['promisedDays']}个工作日内办结"
    if event.deferred:
        view.detail["deferredMaterials"] = view.deferred_list()
        due = min(event.deferred.values())
        text += f"；容缺受理，请于{due}前补交：{view.names(sorted(event.deferred))}"
    return text


def _supplement_requested(view: _View, event: Application.SupplementRequested) -> str:
    view.work["resumeStatus"] = view.status
    view.status = "supplement_requested"
    view.work["supplementRounds"] = event.round
    view.detail["supplement"] = {"missing": list(event.missing), "note": event.note}
    note = f"（{event.note}）" if event.note.strip() else ""
    return f"请一次性补正以下材料：{view.names(event.missing)}{note}"


def _supplement_provided(view: _View, event: Application.SupplementProvided) -> str:
    given = {m["materialId"] for m in event.materials}
    supplement = view.detail.get("supplement") or {"missing": [], "note": ""}
    supplement["missing"] = [m for m in supplement["missing"] if m not in given]
    view.detail["supplement"] = supplement
    deferred = view.work["deferred"]
    if given & set(deferred):  # deferred (容缺) materials handed in with the supplement
        view.work["deferred"] = {m: due for m, due in deferred.items() if m not in given}
        view.work["deferredOverdue"] = False
        view.detail["deferredMaterials"] = view.deferred_list()
    return f"已提交补正材料：{view.names(sorted(given))}"


def _supplement_completed(view: _View, event: Application.SupplementCompleted) -> str:
    view.status = view.work.pop("resumeStatus", None) or "submitted"
    view.detail.pop("supplement", None)
    if event.deadline is None:
        return "补正材料已齐全，等待窗口受理"
    view.detail["deadline"] = event.deadline
    view.work["legalDeadline"] = event.legal_deadline
    view.work["warnings"] = []
    return f"补正材料已齐全，办理时限重新计算，承诺于{event.deadline}前办结"


def _deferred_provided(view: _View, event: Application.DeferredMaterialsProvided) -> str:
    given = sorted(m["materialId"] for m in event.materials)
    for material in given:
        view.work["deferred"].pop(material, None)
    view.work["deferredOverdue"] = False
    view.detail["deferredMaterials"] = view.deferred_list()
    return f"已补交容缺材料：{view.names(given)}"


def _deferred_overdue(view: _View, event: Application.DeferredMaterialOverdue) -> str:
    view.work["deferredOverdue"] = True
    return f"容缺材料已逾期未交：{view.names(event.materials)}，请尽快补交"


def _no_supplement(view: _View) -> None:
    """Leaving a supplement round otherwise than by completing it: the notice is void."""
    view.detail.pop("supplement", None)
    view.work.pop("resumeStatus", None)


def _rejected(view: _View, event: Application.Rejected) -> str:
    _no_supplement(view)
    view.status = "rejected"
    view.work["finishedAt"] = event.timestamp.isoformat()
    return f"不予受理：{event.reason}"


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
    view.work["finishedAt"] = event.timestamp.isoformat()
    return f"审批未通过：{event.reason}"


def _suspended(view: _View, event: Application.Suspended) -> str:
    view.work["resumeStatus"] = view.status
    view.status = "suspended"
    return f"办理暂停：{event.reason}（暂停期间不计入办理时限）"


def _resumed(view: _View, event: Application.Resumed) -> str:
    view.status = view.work.pop("resumeStatus", None) or "accepted"
    view.detail["deadline"] = event.deadline
    view.work["legalDeadline"] = event.legal_deadline
    return f"恢复办理，承诺办结日期为{event.deadline}"


def _deadline_warning(view: _View, event: Application.DeadlineWarning) -> None:
    view.work["warnings"] = sorted({*view.work.get("warnings", []), event.level})


def _result_issued(view: _View, event: Application.ResultIssued) -> str:
    if event.method == "pickup":
        view.status = "ready_for_pickup"
        place = view.work.get("pickupPlace") or "办事大厅"
        return f"办理结果已出具（文号{event.document_no}），请到{place}领取"
    view.status = "result_issued"
    view.detail["delivery"] = {"method": "courier", "status": "pending", "events": []}
    return f"办理结果已出具（文号{event.document_no}），等待快递寄出"


def _result_collected(view: _View, event: Application.ResultCollected) -> str:
    view.status = "completed"
    view.work["finishedAt"] = event.timestamp.isoformat()
    return "您已领取办理结果，办件已办结"


def _withdrawn(view: _View, event: Application.Withdrawn) -> str:
    _no_supplement(view)
    view.status = "withdrawn"
    return "您已撤回申请"


def _reassigned(view: _View, event: Application.Reassigned) -> str:
    old, new = event.from_department, event.to_department
    if view.work["department"] == old:
        view.work["department"] = new
    view.work["stages"] = [[new if d == old else d for d in s] for s in view.work["stages"]]
    return f"已转由{new}办理"


def _escalated(view: _View, event: Application.Escalated) -> None:
    view.work["escalations"] = view.work.get("escalations", 0) + 1


def _forced(view: _View, event: Application.TransitionForced) -> str:
    _no_supplement(view)
    view.status = event.to_status
    if event.to_status in _FINISHED:
        view.work["finishedAt"] = event.timestamp.isoformat()
    else:  # a reopened case is not finished any more
        view.work.pop("finishedAt", None)
    if event.to_status in ("accepted", "under_review"):
        work = view.work
        work["decisions"] = {d: v for d, v in work["decisions"].items() if v == "approve"}
        if not work.get("acceptedAt"):
            work["acceptedAt"] = event.timestamp.isoformat()
    text = f"办件状态调整为“{STATUS_TEXT[event.to_status]}”：{event.reason}"
    if event.deadline is not None:
        view.detail["deadline"] = event.deadline
        view.work["legalDeadline"] = event.legal_deadline
        if event.restarted:
            view.work["warnings"] = []
        text += f"，承诺办结日期为{event.deadline}"
    return text


def _evaluated(view: _View, event: Application.Evaluated) -> str:
    view.work["rating"] = event.rating
    view.detail["evaluation"] = {"rating": event.rating}
    return "感谢您的评价"


def _paid(view: _View, event: fulfilment.Paid) -> str:
    view.status = "approved"
    view.detail["payment"] = {"amount": event.amount, "status": "paid"}
    view.work.pop("paymentProblem", None)
    return f"已缴费{fen_to_yuan(event.amount)}元（微信支付交易单号{event.transaction_id}）"


def _payment_problem(view: _View, event: fulfilment.PaymentProblem) -> None:
    view.work["paymentProblem"] = event.reason  # for supervisors; the citizen sees no change


def _refunded(view: _View, event: fulfilment.Refunded) -> str:
    payment = view.detail.get("payment") or {"amount": event.amount}
    payment["status"] = "refunded"
    payment["refunded"] = payment.get("refunded", 0) + event.amount
    view.detail["payment"] = payment
    return f"已退款{fen_to_yuan(event.amount)}元：{event.reason}"


_COMPANY = {"sf": "顺丰速运"}


def _dispatched(view: _View, event: fulfilment.DeliveryDispatched) -> str:
    view.status = "delivering"
    delivery = view.detail.get("delivery") or {"method": "courier", "events": []}
    delivery.update(status="dispatched", company=event.company, waybillNo=event.waybill_no)
    delivery["events"].append(
        {"at": event.timestamp.isoformat(), "type": "dispatched", "waybillNo": event.waybill_no}
    )
    view.detail["delivery"] = delivery
    company = _COMPANY.get(event.company, event.company)
    return f"办理结果已交{company}寄出，运单号{event.waybill_no}"


_STEP_TEXT = {"picked_up": "快递员已揽收", "in_transit": "运输中", "out_for_delivery": "派送中"}


def _delivery_step(view: _View, event: fulfilment.DeliveryProgressed) -> str:
    delivery = view.detail["delivery"]
    delivery["status"] = event.step
    delivery["events"].append(
        {"at": event.timestamp.isoformat(), "type": event.step, "location": event.location}
    )
    where = f"（{event.location}）" if event.location else ""
    return f"{_STEP_TEXT.get(event.step, event.step)}{where}"


def _delivery_failed(view: _View, event: fulfilment.DeliveryFailed) -> str:
    delivery = view.detail["delivery"]
    delivery["status"] = "failed" if event.final else "attempt_failed"
    delivery["events"].append(
        {"at": event.timestamp.isoformat(), "type": "failed", "reason": event.reason}
    )
    if event.final:
        return f"投递未成功：{event.reason}，工作人员将联系您重新安排"
    return f"投递未成功：{event.reason}，快递员将再次派送"


def _delivered(view: _View, event: fulfilment.Delivered) -> str:
    view.status = "completed"
    view.work["finishedAt"] = event.timestamp.isoformat()
    delivery = view.detail["delivery"]
    delivery["status"] = "delivered"
    delivery["events"].append(
        {"at": event.timestamp.isoformat(), "type": "delivered", "signedBy": event.signed_by}
    )
    return f"已签收（签收人：{event.signed_by}），办件已办结"


def _switched_to_pickup(view: _View, event: fulfilment.SwitchedToPickup) -> str:
    view.status = "ready_for_pickup"
    delivery = view.detail.get("delivery") or {"events": []}
    delivery.update(method="pickup", status="switched_to_pickup")
    view.detail["delivery"] = delivery
    place = view.work.get("pickupPlace") or "办事大厅"
    return f"改为窗口领取：{event.reason}。请到{place}领取"


_HANDLERS: dict[type[Any], Callable[[_View, Any], str | None]] = {
    fulfilment.Paid: _paid,
    fulfilment.PaymentProblem: _payment_problem,
    fulfilment.Refunded: _refunded,
    fulfilment.DeliveryDispatched: _dispatched,
    fulfilment.DeliveryProgressed: _delivery_step,
    fulfilment.DeliveryFailed: _delivery_failed,
    fulfilment.Delivered: _delivered,
    fulfilment.SwitchedToPickup: _switched_to_pickup,
    Application.Accepted: _accepted,
    Application.SupplementRequested: _supplement_requested,
    Application.SupplementProvided: _supplement_provided,
    Application.SupplementCompleted: _supplement_completed,
    Application.DeferredMaterialsProvided: _deferred_provided,
    Application.DeferredMaterialOverdue: _deferred_overdue,
    Application.Rejected: _rejected,
    Application.Reviewed: _reviewed,
    Application.StageCompleted: _stage_completed,
    Application.Approved: _approved,
    Application.Denied: _denied,
    Application.Suspended: _suspended,
    Application.Resumed: _resumed,
    Application.DeadlineWarning: _deadline_warning,
    Application.ResultIssued: _result_issued,
    Application.ResultCollected: _result_collected,
    Application.Withdrawn: _withdrawn,
    Application.Reassigned: _reassigned,
    Application.Escalated: _escalated,
    Application.TransitionForced: _forced,
    Application.Evaluated: _evaluated,
}
_APPOINTMENT_EVENTS = (
    Appointment.AppointmentBooked,
    Appointment.AppointmentCancelled,
    Appointment.AppointmentCheckedIn,
    Appointment.AppointmentMissed,
)
# Events that move no step of the case, so they do not reset the idle clock of stuck cases:
# bookkeeping, and a supervisor pressing or commenting (the department has still not acted).
_NOT_AN_ACTION = (
    fulfilment.PaymentProblem,
    Application.DeadlineWarning,
    Application.DeferredMaterialOverdue,
    Application.Escalated,
    Application.NoteAdded,
)


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


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
            view = self._submitted(event)
            await self._write(conn, event, view, insert=True)
            return
        if isinstance(event, _APPOINTMENT_EVENTS):
            await self._appointment(conn, event)
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
        if not isinstance(event, _NOT_AN_ACTION):
            view.work["lastActionAt"] = event.timestamp.isoformat()
        await self._write(conn, event, view, insert=False)

    @staticmethod
    async def _appointment(conn: asyncpg.Connection | PoolConnectionProxy, event: Event) -> None:
        """A booking linked to an application shows in that application's progress."""
        application_id = getattr(event, "application_id", None)
        if application_id is None:
            return
        detail = await conn.fetchval(
            "SELECT detail FROM application_view WHERE id = $1", application_id
        )
        if detail is None:
            return
        booking = detail.get("appointment") or {"id": str(event.originator_id)}
        if booking["id"] != str(event.originator_id) and not isinstance(
            event, Appointment.AppointmentBooked
        ):
            return  # news of an older booking that was replaced
        text: str
        if isinstance(event, Appointment.AppointmentBooked):
            start = datetime.fromisoformat(event.start)
            booking = {
                "id": str(event.originator_id),
                "hallName": event.hall_name,
                "hallAddress": event.hall_address,
                "start": event.start,
                "end": event.end,
                "status": "booked",
            }
            text = f"已预约{event.hall_name} {start:%m月%d日 %H:%M}到场办理"
        elif isinstance(event, Appointment.AppointmentCancelled):
            booking["status"] = "cancelled"
            text = "预约已取消"
        elif isinstance(event, Appointment.AppointmentCheckedIn):
            booking["status"] = "checked_in"
            booking["queueNumber"] = event.queue_number
            text = f"已到场签到，排队号{event.queue_number}"
        else:
            booking["status"] = "missed"
            text = "预约未按时到场（爽约）"
        detail["appointment"] = booking
        detail["timeline"].append(
            {"at": event.timestamp.isoformat(), "type": type(event).__name__, "text": text}
        )
        await conn.execute(
            "UPDATE application_view SET detail = $2, updated_at = greatest(updated_at, $3)"
            " WHERE id = $1",
            application_id,
            detail,
            event.timestamp,
        )

    @staticmethod
    def _submitted(event: Application.Submitted) -> _View:
        service = event.service
        at = event.timestamp.isoformat()
        detail = {
            "id": str(event.originator_id),
            "number": event.number,
            "serviceCode": service["code"],
            "serviceName": service["name"],
            "submittedAt": at,
            "deadline": None,
            "delivery": {"method": event.delivery["method"], "status": "not_started", "events": []},
            "timeline": [{"at": at, "type": "Submitted", "text": "申请已提交，等待窗口受理"}],
        }
        work = {
            "citizenId": str(event.citizen_id),
            "department": service["department"],
            "stages": service["stages"],
            "stage": 0,
            "decisions": {},
            "promisedDays": service["promisedDays"],
            "pickupPlace": service.get("pickupPlace", ""),
            "materialNames": {m["id"]: m["name"] for m in service.get("materials", [])},
            "deferred": {},
            "warnings": [],
            "escalations": 0,
            "supplementRounds": 0,
            "lastActionAt": at,
            # 零跑腿: online service, no appointment, result by courier
            "zeroVisit": bool(service.get("online", True))
            and not service.get("needsAppointment", False)
            and event.delivery["method"] == "courier",
        }
        return _View("submitted", detail, work)

    @staticmethod
    async def _write(
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        view: _View,
        *,
        insert: bool,
    ) -> None:
        work, detail = view.work, view.detail
        detail["status"] = view.status
        detail["statusText"] = STATUS_TEXT[view.status]
        deferred = work["deferred"]
        columns = (
            event.originator_id,
            view.status,
            STATUS_TEXT[view.status],
            queue_of(view.status),
            view.pending(),
            view.departments(),
            work["department"],
            event.timestamp,
            detail.get("deadline"),
            work.get("legalDeadline"),
            _ts(work.get("acceptedAt")),
            _ts(work.get("finishedAt")),
            _ts(work.get("lastActionAt")),
            work.get("supplementRounds", 0),
            min(deferred.values()) if deferred else None,
            bool(work.get("deferredOverdue")) and bool(deferred),
            work.get("warnings", []),
            work.get("escalations", 0),
            work.get("rating"),
            bool(work.get("zeroVisit")),
            event.originator_version,
            detail,
            work,
        )
        if insert:
            assert isinstance(event, Application.Submitted)
            await conn.execute(
                "INSERT INTO application_view (id, status, status_text, queue,"
                " pending_departments, departments, lead_department, updated_at, deadline,"
                " legal_deadline, accepted_at, finished_at, last_action_at, supplement_rounds,"
                " deferred_due, deferred_overdue, warnings, escalations, rating, zero_visit,"
                " version, detail, work, number, citizen_id, service_code, service_name,"
                " department, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
                " $9::text::date, $10::text::date, $11, $12, $13, $14, $15::text::date, $16, $17,"
                " $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $7, $8)"
                " ON CONFLICT (id) DO NOTHING",
                *columns,
                event.number,
                event.citizen_id,
                event.service["code"],
                event.service["name"],
            )
            return
        await conn.execute(
            "UPDATE application_view SET status = $2, status_text = $3, queue = $4,"
            " pending_departments = $5, departments = $6, lead_department = $7,"
            " department = $7, updated_at = $8, deadline = $9::text::date,"
            " legal_deadline = $10::text::date, accepted_at = $11, finished_at = $12,"
            " last_action_at = $13, supplement_rounds = $14, deferred_due = $15::text::date,"
            " deferred_overdue = $16, warnings = $17, escalations = $18, rating = $19,"
            " zero_visit = $20, version = $21, detail = $22, work = $23 WHERE id = $1",
            *columns,
        )
