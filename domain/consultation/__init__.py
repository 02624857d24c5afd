"""Consultations (咨询): a citizen's question to a department, with a working-day reply clock."""

from domain.consultation.aggregate import ANSWERERS, Consultation, ConsultationStatus
from domain.consultation.rules import (
    FORWARDED_REPLY_DAYS,
    MAX_FILES,
    MAX_TEXT,
    REPLY_DAYS,
    overdue_reason,
    reply_due,
)

__all__ = [
    "ANSWERERS",
    "FORWARDED_REPLY_DAYS",
    "MAX_FILES",
    "MAX_TEXT",
    "REPLY_DAYS",
    "Consultation",
    "ConsultationStatus",
    "overdue_reason",
    "reply_due",
]
