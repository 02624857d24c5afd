"""The reply clock of consultations, as the queue and the stuck-case desk read it."""

from __future__ import annotations

from backend.answer_clock import AnswerClock
from domain.consultation import overdue_reason

__all__ = ["REPLY_CLOCK"]

# open threads await a reply due on reply_due (reason consultation_overdue once late)
REPLY_CLOCK = AnswerClock("consultation_view", "open", "reply_due", "asked_at", overdue_reason)
