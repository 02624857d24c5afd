"""Chinese words the console shows for the codes the backend uses."""

from __future__ import annotations

from projections.texts import COURIER_NAME, STATUS_TEXT, fen_to_yuan

__all__ = [
    "BOX_TEXT",
    "COURIER_NAME",
    "DEADLINE_TEXT",
    "DELIVERY_STATUS_TEXT",
    "DETAIL_TEXT",
    "EVENT_TEXT",
    "PROBLEM_TEXT",
    "REASON_TEXT",
    "ROLE_TEXT",
    "STATUS_TEXT",
    "detail_text",
    "fen_to_yuan",
]

ROLE_TEXT = {
    "clerk": "窗口受理",
    "reviewer": "部门审批",
    "supervisor": "督办",
    "admin": "系统管理员",
    "courier": "快递员",
    "citizen": "申请人",
    "system": "系统",
}
BOX_TEXT = {
    "all": "全部办件",
    "acceptance": "待受理",
    "review": "待审查",
    "issue": "待出证",
    "supplement": "待补正",
    "deferred": "容缺待补",
    "yellow": "黄牌预警",
    "red": "红牌超期",
    "escalated": "督办件",
    "stuck": "卡件",
}
DEADLINE_TEXT = {"on_time": "正常", "due_soon": "临期", "overdue": "超期"}
REASON_TEXT = {
    "overdue": "已超期",
    "due_soon": "即将到期",
    "department_idle": "部门长时间未处理",
    "supplement_waiting": "长时间等待补正",
    "deferred_material_overdue": "容缺材料逾期",
    "payment_waiting": "缴费异常或久未缴费",
    "delivery_failed": "快递投递失败",
    "notification_failed": "通知发送失败",
    "consultation_overdue": "咨询逾期未答复",
    "pre_review_overdue": "预审逾期未答复",
}
DELIVERY_STATUS_TEXT = {
    "requested": "待下单",
    "booked": "已下单，待揽收",
    "picked_up": "已揽收",
    "in_transit": "运输中",
    "out_for_delivery": "派送中",
    "attempt_failed": "投递未成功",
    "delivered": "已签收",
    "failed": "投递失败",
    "returned": "已退回",
    "cancelled": "已取消",
}
EVENT_TEXT = {
    "Submitted": "提交申请",
    "Accepted": "受理",
    "SupplementRequested": "一次性告知补正",
    "SupplementProvided": "提交补正材料",
    "SupplementCompleted": "补正齐全",
    "DeferredMaterialsProvided": "补交容缺材料",
    "DeferredMaterialOverdue": "容缺材料逾期",
    "Rejected": "不予受理",
    "Reviewed": "审查意见",
    "StageCompleted": "审查环节完成",
    "Approved": "审批通过",
    "Denied": "审批未通过",
    "Suspended": "挂起",
    "Resumed": "恢复办理",
    "DeadlineWarning": "时限预警",
    "ResultIssued": "出证",
    "ResultCollected": "领取结果",
    "Withdrawn": "撤回",
    "Reassigned": "改派",
    "Escalated": "督办",
    "NotificationsResent": "重发通知",
    "NoteAdded": "备注",
    "TransitionForced": "强制流转",
    "Evaluated": "好差评",
    "Paid": "缴费",
    "PaymentProblem": "缴费异常",
    "Refunded": "退款",
    "DeliveryDispatched": "快递寄出",
    "DeliveryProgressed": "快递进度",
    "DeliveryFailed": "投递失败",
    "Delivered": "已签收",
    "SwitchedToPickup": "改为自取",
    "AppointmentBooked": "预约",
    "AppointmentCancelled": "取消预约",
    "AppointmentReminder": "预约提醒",
    "AppointmentCheckedIn": "到场签到",
    "AppointmentMissed": "预约爽约",
}
PROBLEM_TEXT = {
    "validation_failed": "填写有误",
    "unauthenticated": "请先登录",
    "forbidden": "无权操作",
    "not_found": "未找到（或无权查看）",
    "invalid_state": "当前状态不允许此操作",
    "conflict": "操作冲突，请刷新后重试",
    "rate_limited": "尝试过于频繁",
    "unavailable": "系统繁忙，请稍后重试",
    "read_model_behind": "数据更新中，请稍后刷新",
    "too_large": "文件过大",
    "internal_error": "系统错误",
}

DETAIL_TEXT = {
    "department": "部门",
    "decision": "决定",
    "opinion": "意见",
    "reason": "理由",
    "note": "说明",
    "text": "备注",
    "document_no": "文号",
    "to_department": "改派至",
    "level": "预警",
    "deadline": "承诺办结",
    "company": "快递",
    "waybill_no": "运单号",
    "step": "进度",
    "location": "地点",
    "signed_by": "签收人",
    "rating": "评分",
    "comment": "评价",
    "to_status": "调整为",
    "amount": "金额（分）",
    "missing": "缺少材料",
}
_VALUE_TEXT = {
    "decision": {"approve": "同意", "deny": "不同意"},
    "level": {"red": "红牌（超期）", "yellow": "黄牌（临期）"},
    "to_status": STATUS_TEXT,
    "company": COURIER_NAME,
}


def detail_text(key: str, value: str) -> str:
    """One fact of a timeline step in words: "意见：符合要求"."""
    shown = _VALUE_TEXT.get(key, {}).get(value, value)
    return f"{DETAIL_TEXT.get(key, key)}：{shown}"
