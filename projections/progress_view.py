"""The progress read model in memory: one application's view, and pure handlers that move it.

The workflow (status, waiting departments, clock, money) is the domain's ``CaseState``, moved by
the events' own ``apply`` methods exactly as the aggregate is; the handlers here only write what
the citizen reads: the timeline texts and the parts of the detail that are not state (payment,
delivery, appointment, evaluation). No database, so they are tested and batched without one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from domain.application import Application, CaseState, fulfilment
from domain.application.activity import moves_the_case
from domain.application.citizen import BookingFact, citizen_actions
from domain.application.values import material_files
from domain.appointment import Appointment, BookingPolicy
from domain.calendar import chinese_date, chinese_month_day_time
from domain.personal import text_of
from projections.texts import (
    COURIER_NAME,
    DELIVERY_STEP_TEXT,
    STATUS_TEXT,
    china_iso,
    fen_to_yuan,
    status_text,
)

__all__ = ["CANCEL_CUTOFF", "ProgressView", "apply_event", "row_key", "started"]

CANCEL_CUTOFF = BookingPolicy().cancel_cutoff  # the default; the projection is given its own


class ProgressView:
    """One application's row while it is being changed."""

    __slots__ = ("cancel_cutoff", "case", "detail", "info", "updated_at", "version")

    def __init__(
        self,
        case: CaseState,
        detail: dict[str, Any],
        info: dict[str, Any],
        *,
        version: int,
        updated_at: datetime,
        cancel_cutoff: timedelta = CANCEL_CUTOFF,
    ) -> None:
        self.case = case
        self.detail = detail  # the citizen's progress view, as the API returns it
        self.info = info  # facts for queries and texts: names, days, place, last action
        self.version = version  # of the application's stream
        self.updated_at = updated_at
        self.cancel_cutoff = cancel_cutoff  # of bookings: when ``cancelAppointment`` closes

    @classmethod
    def restore(
        cls,
        detail: dict[str, Any],
        work: dict[str, Any],
        *,
        version: int,
        updated_at: datetime,
        cancel_cutoff: timedelta = CANCEL_CUTOFF,
    ) -> ProgressView:
        """From the row's ``detail`` and ``work`` columns."""
        info = dict(work)
        case = CaseState.from_record(info.pop("case"))
        return cls(
            case, detail, info, version=version, updated_at=updated_at, cancel_cutoff=cancel_cutoff
        )

    def work(self) -> dict[str, Any]:
        """The ``work`` column: the case state and the facts."""
        return {**self.info, "case": self.case.to_record()}

    def names(self, ids: list[str]) -> str:
        names: dict[str, str] = self.info["materialNames"]
        return "、".join(names.get(i, i) for i in ids)

    def place(self) -> str:
        return self.info.get("pickupPlace") or "办事大厅"

    def refresh(self) -> None:
        """The parts of the detail that follow the case state."""
        case, detail, info = self.case, self.detail, self.info
        names: dict[str, str] = info["materialNames"]
        detail["status"] = case.status
        detail["statusText"] = status_text(case)
        detail["deadline"] = case.deadline
        detail["department"] = case.lead
        detail["materials"] = [_submitted(m, names) for m in case.materials]
        if case.status == "supplement_requested":
            detail["supplement"] = {
                "missing": list(case.missing),
                "missingMaterials": [
                    {"materialId": m, "name": names.get(m, m)} for m in case.missing
                ],
                "note": info["note"],
            }
        else:
            detail.pop("supplement", None)
        if case.deferred or "deferredMaterials" in detail:
            detail["deferredMaterials"] = [
                {"materialId": m, "name": names.get(m, m), "due": due}
                for m, due in sorted(case.deferred.items())
            ]
        booking = detail.get("appointment")
        offered = citizen_actions(
            case,
            needs_appointment=bool(info.get("needsAppointment", False)),
            booking=BookingFact(booking["status"], datetime.fromisoformat(booking["start"]))
            if booking
            else None,
            cancel_cutoff=self.cancel_cutoff,
        )
        detail["actions"] = list(offered)
        detail["actionsUntil"] = {a: china_iso(t) for a, t in offered.items() if t is not None}


def _submitted(record: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A material handed in, as the citizen sees it: its name, its files or certificate."""
    material_id = record["materialId"]
    shown: dict[str, Any] = {
        "materialId": material_id,
        "name": names.get(material_id, material_id),
        "fileIds": material_files(record),
    }
    if record.get("certificateId"):
        shown["certificateId"] = record["certificateId"]
    return shown


def _submitted_text(event: Application.Submitted) -> str:
    # the agent's name stays in the event (their personal data), the fact shows here
    if event.submitted_by is not None:
        return "代办人已代您提交申请，等待窗口受理"
    mark = getattr(event, "pre_review", None)  # 预审: events before pre-reviews have none
    if mark is not None:
        return f"申请已提交（来自预审，第{mark['round']}轮已通过），等待窗口受理"
    return "申请已提交，等待窗口受理"


def started(
    event: Application.Submitted, *, cancel_cutoff: timedelta = CANCEL_CUTOFF
) -> ProgressView:
    """The view of a just-submitted application."""
    service = event.service
    at = china_iso(event.timestamp)
    method = event.delivery["method"]
    detail = {
        "id": str(event.originator_id),
        "number": event.number,
        "serviceCode": service["code"],
        "serviceName": service["name"],
        "situationId": event.situation_id,
        "submittedAt": at,
        "delivery": {"method": method, "status": "not_started", "events": []},
        "timeline": [{"at": at, "type": "Submitted", "text": _submitted_text(event)}],
    }
    if service.get("pickupPlace"):
        detail["pickupPlace"] = service["pickupPlace"]
    mark = getattr(event, "pre_review", None)
    if mark is not None:
        detail["preReview"] = {k: mark[k] for k in ("id", "number", "round", "unchanged")}
    info = {
        "citizenId": str(event.citizen_id),
        "promisedDays": service["promisedDays"],
        "pickupPlace": service.get("pickupPlace", ""),
        "materialNames": {m["id"]: m["name"] for m in service.get("materials", [])},
        "note": "",
        "lastActionAt": at,
        "needsAppointment": bool(service.get("needsAppointment", False)),
        # 零跑腿: online service, no appointment, result by courier
        "zeroVisit": bool(service.get("online", True))
        and not service.get("needsAppointment", False)
        and method == "courier",
    }
    case = CaseState.submitted(
        department=service["department"], stages=service["stages"], materials=event.materials
    )
    view = ProgressView(
        case,
        detail,
        info,
        version=event.originator_version,
        updated_at=event.timestamp,
        cancel_cutoff=cancel_cutoff,
    )
    view.refresh()
    return view


def add_in_time_order(entries: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    """Append ``entry`` to a list ordered by its ``at``: events arrive in log order, and a
    courier's scan or a booking may be dated before the entry last written."""
    entries.append(entry)
    if len(entries) > 1 and _moment(entry) < _moment(entries[-2]):
        entries.sort(key=_moment)  # stable: entries of one moment keep their log order


def _moment(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["at"])


# --- texts of the application's own events (the case state is already moved) ---------------
Handler = Callable[[ProgressView, Any], str | None]


def _accepted(view: ProgressView, event: Application.Accepted) -> str:
    text = f"{view.case.lead}已受理，承诺{view.info['promisedDays']}个工作日内办结"
    if event.deferred:
        due = min(event.deferred.values())
        text += f"；容缺受理，请于{chinese_date(due)}前补交：{view.names(sorted(event.deferred))}"
    return text


def _supplement_requested(view: ProgressView, event: Application.SupplementRequested) -> str:
    words = text_of(event.note)
    view.info["note"] = words
    note = f"（{words}）" if words.strip() else ""
    return f"请一次性补正以下材料：{view.names(event.missing)}{note}"


def _supplement_provided(view: ProgressView, event: Application.SupplementProvided) -> str:
    return f"已提交补正材料：{view.names(sorted(m['materialId'] for m in event.materials))}"


def _supplement_completed(view: ProgressView, event: Application.SupplementCompleted) -> str:
    if event.deadline is None:
        return "补正材料已齐全，等待窗口受理"
    return f"补正材料已齐全，办理时限重新计算，承诺于{chinese_date(event.deadline)}前办结"


def _deferred_provided(view: ProgressView, event: Application.DeferredMaterialsProvided) -> str:
    return f"已补交容缺材料：{view.names(sorted(m['materialId'] for m in event.materials))}"


def _deferred_overdue(view: ProgressView, event: Application.DeferredMaterialOverdue) -> str:
    return f"容缺材料已逾期未交：{view.names(event.materials)}，请尽快补交"


def _rejected(view: ProgressView, event: Application.Rejected) -> str:
    return f"不予受理：{event.reason}"


def _reviewed(view: ProgressView, event: Application.Reviewed) -> str | None:
    if event.decision == "approve":
        return f"{event.department}审查通过"
    return None  # the denial that follows says it, in one line


def _approved(view: ProgressView, event: Application.Approved) -> str:
    if event.fee > 0:
        view.detail["payment"] = {"amount": event.fee, "status": "due"}
        return f"审批通过，请缴纳费用{fen_to_yuan(event.fee)}元"
    return "审批通过，等待出具办理结果"


def _denied(view: ProgressView, event: Application.Denied) -> str:
    return f"审批未通过（{event.department}）：{event.reason}"


def _suspended(view: ProgressView, event: Application.Suspended) -> str:
    return f"办理暂停：{event.reason}（暂停期间不计入办理时限）"


def _resumed(view: ProgressView, event: Application.Resumed) -> str:
    if event.deadline is None:
        return "恢复办理"
    return f"恢复办理，承诺于{chinese_date(event.deadline)}前办结"


def _result_issued(view: ProgressView, event: Application.ResultIssued) -> str:
    if event.method == "pickup":
        return f"办理结果已出具（文号{event.document_no}），请到{view.place()}领取"
    view.detail["delivery"] = {"method": "courier", "status": "pending", "events": []}
    return f"办理结果已出具（文号{event.document_no}），等待快递寄出"


def _result_collected(view: ProgressView, event: Application.ResultCollected) -> str:
    return "您已领取办理结果，办件已办结"


def _withdrawn(view: ProgressView, event: Application.Withdrawn) -> str:
    return "您已撤回申请"


def _reassigned(view: ProgressView, event: Application.Reassigned) -> str:
    return f"已转由{event.to_department}办理"


def _forced(view: ProgressView, event: Application.TransitionForced) -> str:
    text = f"办件状态调整为“{STATUS_TEXT[event.to_status]}”：{event.reason}"
    if event.deadline is not None:
        text += f"，承诺于{chinese_date(event.deadline)}前办结"
    return text


def _evaluated(view: ProgressView, event: Application.Evaluated) -> str:
    view.detail["evaluation"] = {"rating": event.rating}
    return "感谢您的评价"


def _paid(view: ProgressView, event: fulfilment.Paid) -> str:
    view.detail["payment"] = {"amount": event.amount, "status": "paid"}
    return f"已缴费{fen_to_yuan(event.amount)}元，交易单号：{event.transaction_id}"


def _refunded(view: ProgressView, event: fulfilment.Refunded) -> str:
    payment = view.detail.get("payment") or {"amount": event.amount}
    payment["status"] = "refunded"
    payment["refunded"] = payment.get("refunded", 0) + event.amount
    view.detail["payment"] = payment
    return f"已退款{fen_to_yuan(event.amount)}元：{text_of(event.reason)}"


def _delivery_event(view: ProgressView, status: str, entry: dict[str, Any]) -> dict[str, Any]:
    delivery: dict[str, Any] = view.detail.get("delivery") or {"method": "courier", "events": []}
    delivery["status"] = status
    add_in_time_order(delivery["events"], entry)
    view.detail["delivery"] = delivery
    return delivery


def _dispatched(view: ProgressView, event: fulfilment.DeliveryDispatched) -> str:
    at = china_iso(event.timestamp)
    entry = {"at": at, "type": "dispatched", "waybillNo": event.waybill_no}
    delivery = _delivery_event(view, "dispatched", entry)
    delivery.update(company=event.company, waybillNo=event.waybill_no)
    company = COURIER_NAME.get(event.company, event.company)
    return f"办理结果已交{company}寄出，运单号{event.waybill_no}"


def _delivery_step(view: ProgressView, event: fulfilment.DeliveryProgressed) -> str:
    at = china_iso(event.timestamp)
    _delivery_event(view, event.step, {"at": at, "type": event.step, "location": event.location})
    where = f"（{event.location}）" if event.location else ""
    return f"{DELIVERY_STEP_TEXT.get(event.step, event.step)}{where}"


def _delivery_failed(view: ProgressView, event: fulfilment.DeliveryFailed) -> str:
    at = china_iso(event.timestamp)
    status = "failed" if event.final else "attempt_failed"
    reason = text_of(event.reason)
    _delivery_event(view, status, {"at": at, "type": "failed", "reason": reason})
    if event.final:
        return f"投递未成功：{reason}，工作人员将联系您重新安排"
    return f"投递未成功：{reason}，快递员将再次派送"


def _delivered(view: ProgressView, event: fulfilment.Delivered) -> str:
    at = china_iso(event.timestamp)
    signer = text_of(event.signed_by)
    _delivery_event(view, "delivered", {"at": at, "type": "delivered", "signedBy": signer})
    return f"已签收（签收人：{signer}），办件已办结"


def _switched_to_pickup(view: ProgressView, event: fulfilment.SwitchedToPickup) -> str:
    delivery = view.detail.get("delivery") or {"events": []}
    delivery.update(method="pickup", status="switched_to_pickup")
    view.detail["delivery"] = delivery
    return f"改为窗口领取：{event.reason}。请到{view.place()}领取"


def _silent(view: ProgressView, event: Any) -> None:
    """The case state moved (or not even that); the citizen is shown nothing."""


_CASE_HANDLERS: dict[type[Any], Handler] = {
    Application.Accepted: _accepted,
    Application.SupplementRequested: _supplement_requested,
    Application.SupplementProvided: _supplement_provided,
    Application.SupplementCompleted: _supplement_completed,
    Application.DeferredMaterialsProvided: _deferred_provided,
    Application.DeferredMaterialOverdue: _deferred_overdue,
    Application.Rejected: _rejected,
    Application.Reviewed: _reviewed,
    Application.StageCompleted: _silent,
    Application.Approved: _approved,
    Application.Denied: _denied,
    Application.Suspended: _suspended,
    Application.Resumed: _resumed,
    Application.DeadlineWarning: _silent,
    Application.ResultIssued: _result_issued,
    Application.ResultCollected: _result_collected,
    Application.Withdrawn: _withdrawn,
    Application.Reassigned: _reassigned,
    Application.Escalated: _silent,
    Application.NoteAdded: _silent,
    Application.NotificationsResent: _silent,
    Application.TransitionForced: _forced,
    Application.Evaluated: _evaluated,
    fulfilment.Paid: _paid,
    fulfilment.PaymentProblem: _silent,  # for supervisors; the citizen sees no change
    fulfilment.Refunded: _refunded,
    fulfilment.DeliveryDispatched: _dispatched,
    fulfilment.DeliveryProgressed: _delivery_step,
    fulfilment.DeliveryFailed: _delivery_failed,
    fulfilment.Delivered: _delivered,
    fulfilment.SwitchedToPickup: _switched_to_pickup,
}


# --- a booking linked to an application shows in that application's progress ---------------


def _booked(view: ProgressView, event: Appointment.AppointmentBooked) -> str:
    view.detail["appointment"] = {
        "id": str(event.originator_id),
        "hallId": event.hall_id,
        "slotId": event.slot_id,
        "hallName": event.hall_name,
        "hallAddress": event.hall_address,
        "start": event.start,
        "end": event.end,
        "status": "booked",
    }
    start = datetime.fromisoformat(event.start)
    return f"已预约{chinese_month_day_time(start)}在{event.hall_name}办理"


def _booking(view: ProgressView, event: Any, status: str, text: str) -> str | None:
    booking = view.detail.get("appointment")
    if booking is None or booking["id"] != str(event.originator_id):
        return None  # news of an older booking that was replaced
    booking["status"] = status
    return text


def _cancelled(view: ProgressView, event: Appointment.AppointmentCancelled) -> str | None:
    return _booking(view, event, "cancelled", "预约已取消")


def _checked_in(view: ProgressView, event: Appointment.AppointmentCheckedIn) -> str | None:
    text = _booking(view, event, "checked_in", f"已到场签到，排队号{event.queue_number}")
    if text is not None:
        view.detail["appointment"]["queueNumber"] = event.queue_number
    return text


def _missed(view: ProgressView, event: Appointment.AppointmentMissed) -> str | None:
    return _booking(view, event, "missed", "预约未按时到场（爽约）")


_BOOKING_HANDLERS: dict[type[Any], Handler] = {
    Appointment.AppointmentBooked: _booked,
    Appointment.AppointmentCancelled: _cancelled,
    Appointment.AppointmentCheckedIn: _checked_in,
    Appointment.AppointmentMissed: _missed,
}


def row_key(event: Any) -> Any:
    """The application whose row ``event`` changes, or None when it changes none."""
    if type(event) in _CASE_HANDLERS or isinstance(event, Application.Submitted):
        return event.originator_id
    if type(event) in _BOOKING_HANDLERS:
        return getattr(event, "application_id", None)
    return None


def apply_event(view: ProgressView, event: Any, *, refresh: bool = True) -> bool:
    """Move ``view`` by ``event``; False when the event changes nothing of it.

    ``refresh=False``: the parts of the detail that follow the case state are left for one
    ``view.refresh()`` after the last event of a batch (they depend on the state only, and no
    handler reads them), instead of being rebuilt after every event."""
    at = china_iso(event.timestamp)
    booking = _BOOKING_HANDLERS.get(type(event))
    if booking is not None:
        text = booking(view, event)
        if text is None:
            return False
        _refresh(view, now=refresh)  # the booking changes what the citizen may do
        add_in_time_order(
            view.detail["timeline"], {"at": at, "type": type(event).__name__, "text": text}
        )
        view.updated_at = max(view.updated_at, event.timestamp)
        return True
    handler = _CASE_HANDLERS.get(type(event))
    if handler is None:
        return False
    event.apply(view.case)  # the domain's own transition: the aggregate runs the same code
    text = handler(view, event)
    if text is not None:
        add_in_time_order(
            view.detail["timeline"], {"at": at, "type": type(event).__name__, "text": text}
        )
    if moves_the_case(event):
        view.info["lastActionAt"] = at
    view.version = event.originator_version
    view.updated_at = event.timestamp
    _refresh(view, now=refresh)
    return True


def _refresh(view: ProgressView, *, now: bool) -> None:
    if now:
        view.refresh()
    elif view.case.deferred:
        # once a case has had deferred materials its detail lists them, even when none is left
        # (what a refresh after this event would have left for the later ones to keep)
        view.detail.setdefault("deferredMaterials", [])
