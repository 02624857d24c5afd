"""The answer clock of pre-reviews, as the queue and the stuck-case desk read it."""

from __future__ import annotations

from backend.answer_clock import AnswerClock
from domain.prereview import overdue_reason

__all__ = ["ANSWER_CLOCK"]

# pending pre-reviews await an answer due on due (reason pre_review_overdue once late)
ANSWER_CLOCK = AnswerClock("pre_review_view", "pending", "due", "sent_at", overdue_reason)
