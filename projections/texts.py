"""Chinese texts shown to citizens."""

from __future__ import annotations

__all__ = ["STATUS_TEXT", "fen_to_yuan"]

STATUS_TEXT: dict[str, str] = {
    "submitted": "已提交，待受理",
    "supplement_requested": "待补正材料",
    "rejected": "不予受理",
    "accepted": "已受理",
    "under_review": "审查中",
    "suspended": "暂停办理",
    "approved": "审批通过",
    "denied": "审批未通过",
    "awaiting_payment": "待缴费",
    "result_issued": "已出证，待寄送",
    "delivering": "邮寄中",
    "ready_for_pickup": "待领取",
    "completed": "已办结",
    "withdrawn": "已撤回",
}


def fen_to_yuan(fen: int) -> str:
    """20050 -> '200.50'."""
    return f"{fen // 100}.{fen % 100:02d}"
