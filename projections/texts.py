"""Chinese texts shown to citizens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain.application.status import STATUS_NAMES
from domain.calendar import CST

if TYPE_CHECKING:
    from domain.application import CaseState

__all__ = [
    "COURIER_NAME",
    "DELIVERY_STEP_TEXT",
    "PAID_TEXT",
    "STATUS_TEXT",
    "china_iso",
    "fen_to_yuan",
    "status_text",
]

STATUS_TEXT: dict[str, str] = STATUS_NAMES  # the domain names each status

# approved again after payment: the status stays (the contract's), its text says it is paid
PAID_TEXT = "已缴费，待出具结果"

COURIER_NAME: dict[str, str] = {"sf": "顺丰速运"}
# Scans between dispatch and the door, as the citizen reads them.
DELIVERY_STEP_TEXT: dict[str, str] = {
    "picked_up": "快递员已揽收",
    "in_transit": "运输中",
    "out_for_delivery": "派送中",
}


def fen_to_yuan(fen: int) -> str:
    """20050 -> '200.50'."""
    return f"{fen // 100}.{fen % 100:02d}"


def china_iso(moment: datetime) -> str:
    """A moment as read models keep it for the API: ISO 8601 in China time (+08:00), whatever
    zone it came in (a courier's scan may carry Z)."""
    return moment.astimezone(CST).isoformat()


def status_text(case: CaseState) -> str:
    """The status as the citizen reads it: an approved case whose fee is paid says so."""
    return PAID_TEXT if case.paid_and_not_issued else STATUS_TEXT[case.status]
