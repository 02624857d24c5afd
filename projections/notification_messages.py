"""What a citizen is told of each event, whatever WeChat template carries it.

One entry per event class NAME in :data:`MESSAGES` (events are matched by name, so an entry may
name an event another module has not written yet). A renderer turns the event and its
:class:`Subject` (who, which application) into a :class:`Notice`; a template configuration
(:mod:`projections.notification_templates`) then places the notice's variables into the
template's fields. Adding a notifying event: one renderer here, one template entry there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.calendar import chinese_date
from domain.personal import text_of

__all__ = ["MESSAGES", "VARIABLES", "Notice", "Subject", "variables"]


class Subject(msgspec.Struct, frozen=True, kw_only=True):
    """Whom a stream's events concern, and what the texts need to know of its application."""

    id: UUID
    citizen_id: UUID
    application_id: UUID | None = None
    number: str = ""
    service: str = ""
    department: str = ""
    pickup_place: str = ""
    promised_days: int = 0
    materials: dict[str, str] = msgspec.field(default_factory=dict)  # id -> name
    waybill: str = ""  # the courier's waybill number, once the result is dispatched


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    """The citizen-facing content of one event (status: a short phrase, note: one line)."""

    status: str
    note: str
    amount: int | None = None  # fen
    place: str = ""
    time: datetime | None = None  # None: when the event happened
    page: str | None = None  # None: the application's detail page
    waybill: str = ""  # "": the subject's waybill, if it has one


# What a template field may show; see ``variables``.
VARIABLES: frozenset[str] = frozenset(
    {"number", "service", "department", "status", "note", "time", "amount", "place", "waybill"}
)


def variables(event: Any, subject: Subject, notice: Notice) -> dict[str, object]:
    """The values a template's fields are filled from."""
    return {
        "number": subject.number,
        "service": subject.service,
        "department": subject.department,
        "status": notice.status,
        "note": notice.note,
        "time": notice.time or event.timestamp,
        "amount": notice.amount or 0,
        "place": notice.place or subject.pickup_place,
        # a waybill number is letters and digits: a character_string field shows all of it
        "waybill": notice.waybill or subject.waybill,
    }


def detail_page(subject: Subject) -> str | None:
    """The mini-program page of the application."""
    if subject.application_id is None:
        return None
    return f"pages/application/detail?id={subject.application_id}"


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _accepted(event: Any, subject: Subject) -> Notice:
    days = subject.promised_days
    note = f"承诺{days}个工作日内办结" if days else "请留意办理进度"
    return Notice(status="已受理", note=note)


def _supplement_requested(event: Any, subject: Subject) -> Notice:
    names = [subject.materials.get(m, m) for m in getattr(event, "missing", [])]
    note = (
        "请补正：" + "、".join(names)
        if names
        else (text_of(getattr(event, "note", "")) or "请补正材料")
    )
    return Notice(status="待补正", note=note)


def _rejected(event: Any, subject: Subject) -> Notice:
    return Notice(status="不予受理", note=f"原因：{getattr(event, 'reason', '')}")


def _approved(event: Any, subject: Subject) -> Notice:
    fee = int(getattr(event, "fee", 0) or 0)
    if fee > 0:
        return Notice(status="待缴费", note=f"审批通过，请缴纳{_yuan(fee)}元", amount=fee)
    return Notice(status="审批通过", note="正在出具办理结果")


def _denied(event: Any, subject: Subject) -> Notice:
    return Notice(status="未通过", note=f"原因：{getattr(event, 'reason', '')}")


def _suspended(event: Any, subject: Subject) -> Notice:
    return Notice(status="暂停办理", note=f"原因：{getattr(event, 'reason', '')}")


def _resumed(event: Any, subject: Subject) -> Notice:
    deadline = getattr(event, "deadline", None)
    note = f"承诺{chinese_date(deadline)}前办结" if deadline else "办理时限继续计算"
    return Notice(status="恢复办理", note=note)


def _refunded(event: Any, subject: Subject) -> Notice:
    amount = int(getattr(event, "amount", 0) or 0)
    return Notice(status="已退款", note=f"已退还{_yuan(amount)}元", amount=amount)


def _result_issued(event: Any, subject: Subject) -> Notice:
    if getattr(event, "method", "pickup") == "pickup":
        place = subject.pickup_place or "办事大厅"
        return Notice(status="待领取", note=f"请到{place}领取", place=place)
    return Notice(status="待寄送", note="办理结果将通过快递寄送")


def _paid(event: Any, subject: Subject) -> Notice:
    amount = int(getattr(event, "amount", 0) or 0)
    return Notice(status="已缴费", note=f"已缴纳{_yuan(amount)}元", amount=amount)


def _dispatched(event: Any, subject: Subject) -> Notice:
    waybill = str(getattr(event, "waybill_no", "") or "")
    return Notice(status="已寄出", note="办理结果已寄出", waybill=waybill)


def _delivered(event: Any, subject: Subject) -> Notice:
    return Notice(status="已签收", note="办理结果已送达，请查收")


def _delivery_failed(event: Any, subject: Subject) -> Notice:
    reason = text_of(getattr(event, "reason", "")) or text_of(getattr(event, "note", ""))
    return Notice(status="投递失败", note=reason or "快递未能送达，请留意快递员联系")


def _appointment_page(event: Any) -> str:
    return f"pages/appointment/detail?id={event.originator_id}"


def _appointment_place(event: Any) -> str:
    return str(getattr(event, "hall_name", "") or "")


def _appointment_start(event: Any) -> datetime | None:
    start = getattr(event, "start", None)
    if isinstance(start, datetime):
        return start
    try:
        return datetime.fromisoformat(start) if isinstance(start, str) else None
    except ValueError:
        return None


def _appointment_booked(event: Any, subject: Subject) -> Notice:
    place = _appointment_place(event)
    return Notice(
        status="预约成功",
        note=f"请按时到{place}办理" if place else "请按预约时间到大厅办理",
        place=place,
        time=_appointment_start(event),
        page=_appointment_page(event),
    )


def _appointment_reminder(event: Any, subject: Subject) -> Notice:
    place = _appointment_place(event)
    return Notice(
        status="即将到时",
        note=f"您在{place}的预约即将开始" if place else "您的预约即将开始",
        place=place,
        time=_appointment_start(event),
        page=_appointment_page(event),
    )


def _appointment_cancelled(event: Any, subject: Subject) -> Notice:
    reason = text_of(getattr(event, "reason", ""))
    return Notice(
        status="已取消",
        note=f"预约已取消：{reason}" if reason else "您的预约已取消",
        place=_appointment_place(event),
        time=_appointment_start(event),
        page=_appointment_page(event),
    )


def _consultation_replied(event: Any, subject: Subject) -> Notice:
    department = str(getattr(event, "department", "") or subject.department)
    reply = text_of(getattr(event, "text", ""))
    return Notice(
        status="已答复",
        note=f"{department}答复：{reply}" if reply else f"{department}已答复您的咨询",
        page=f"pages/consultation/detail?id={event.originator_id}",
    )


Render = Callable[[Any, Subject], Notice | None]

MESSAGES: dict[str, Render] = {
    "Accepted": _accepted,
    "SupplementRequested": _supplement_requested,
    "Rejected": _rejected,
    "Approved": _approved,
    "Denied": _denied,
    "Suspended": _suspended,
    "Resumed": _resumed,
    "Refunded": _refunded,
    "ResultIssued": _result_issued,
    "Paid": _paid,
    "DeliveryDispatched": _dispatched,
    "Delivered": _delivered,
    "DeliveryFailed": _delivery_failed,
    "AppointmentBooked": _appointment_booked,
    "AppointmentReminder": _appointment_reminder,
    "AppointmentCancelled": _appointment_cancelled,
    "Replied": _consultation_replied,  # a department answered a consultation (咨询)
}
