"""Pre-review (预审): a citizen's draft application checked by the lead department before the
formal submission, answered once and completely within one working day."""

from domain.prereview.aggregate import ANSWERERS, PreReview, PreReviewStatus
from domain.prereview.rules import (
    ANSWER_DAYS,
    MAX_NOTE,
    answer_due,
    overdue_reason,
    pre_review_number,
)

__all__ = [
    "ANSWERERS",
    "ANSWER_DAYS",
    "MAX_NOTE",
    "PreReview",
    "PreReviewStatus",
    "answer_due",
    "overdue_reason",
    "pre_review_number",
]
