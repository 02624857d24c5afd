"""Self-service answers (``GET /api/v1/answers``) and how often they spared a consultation.

A search is recorded without its text (the citizen's own words): who searched (if logged in),
in which item, how many answers it found, when. A citizen's searches less than
:data:`VISIT_GAP` apart are one visit; a visit that found answers and was not followed by a
consultation of the same citizen within :data:`ASK_WINDOW` was answered without asking.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from backend.consultations.dto import Answer, LegalBasisBody, SelfServiceStats
from projections.answer_terms import query_terms

if TYPE_CHECKING:
    from backend.services import Services

__all__ = [
    "ASK_WINDOW",
    "SEARCH_SQL",
    "VISIT_GAP",
    "WEIGHTS",
    "search",
    "self_service_stats",
    "tsquery",
]

ASK_WINDOW = timedelta(hours=24)
VISIT_GAP = timedelta(minutes=30)
# ts_rank's weights for D, C, B, A: guide text, item name, answer, question
WEIGHTS = [0.05, 0.2, 0.4, 1.0]
# $1 the tsquery, $2 an item or NULL, $3 how many, $4 WEIGHTS; normalisation 32: rank/(rank+1)
SEARCH_SQL = (
    "SELECT a.service_code, a.position, a.service_name, a.kind, a.question, a.answer,"
    " a.legal_basis, ts_rank($4::float4[], a.terms, q, 32) AS score"
    " FROM answer_index a, to_tsquery('simple', $1) q"
    " WHERE a.terms @@ q AND ($2::text IS NULL OR a.service_code = $2)"
    " ORDER BY score DESC, a.service_code, a.position LIMIT $3"
)


def tsquery(words: list[str]) -> str:
    """Any of ``words`` (letters and digits only, as :func:`query_terms` gives them)."""
    return " | ".join(f"'{w}'" for w in words)


async def search(
    services: Services,
    q: str,
    *,
    service_code: str | None,
    citizen_id: UUID | None,
    limit: int,
) -> list[Answer]:
    """The FAQs and guides that best answer ``q``, best first (score 0..1)."""
    words = query_terms(q)
    rows = []
    if words:
        rows = await services.pool.fetch(SEARCH_SQL, tsquery(words), service_code, limit, WEIGHTS)
    await services.pool.execute(
        "INSERT INTO answer_searches (citizen_id, service_code, results, searched_at)"
        " VALUES ($1, $2, $3, $4)",
        citizen_id,
        service_code,
        len(rows),
        services.clock(),
    )
    return [
        Answer(
            service_code=r["service_code"],
            service_name=r["service_name"],
            kind=r["kind"],
            question=r["question"],
            answer=r["answer"],
            score=round(float(r["score"]), 3),
            legal_basis=LegalBasisBody(**r["legal_basis"]) if r["legal_basis"] else None,
        )
        for r in rows
    ]


async def self_service_stats(
    services: Services, since: datetime | None, until: datetime | None
) -> SelfServiceStats:
    """Searches in [since, until) and how many visits the answers settled."""
    now = services.clock()
    row = await services.pool.fetchrow(
        "WITH s AS (SELECT citizen_id, searched_at, results, CASE WHEN searched_at"
        "  - lag(searched_at) OVER (PARTITION BY citizen_id ORDER BY searched_at) < $3"
        "  THEN 0 ELSE 1 END AS starts FROM answer_searches"
        "  WHERE citizen_id IS NOT NULL AND ($1::timestamptz IS NULL OR searched_at >= $1)"
        "  AND ($2::timestamptz IS NULL OR searched_at < $2)),"
        " v AS (SELECT citizen_id, results, searched_at, sum(starts) OVER"
        "  (PARTITION BY citizen_id ORDER BY searched_at) AS visit FROM s),"
        " visits AS (SELECT citizen_id, min(searched_at) AS first, max(searched_at) AS last,"
        "  max(results) AS results FROM v GROUP BY citizen_id, visit)"
        " SELECT"
        "  (SELECT count(*) FROM answer_searches WHERE ($1::timestamptz IS NULL"
        "   OR searched_at >= $1) AND ($2::timestamptz IS NULL OR searched_at < $2)) AS searches,"
        "  count(*) AS visits,"
        "  count(*) FILTER (WHERE results > 0 AND last + $4 <= $5) AS decided,"
        "  count(*) FILTER (WHERE results > 0 AND last + $4 <= $5 AND NOT EXISTS ("
        "   SELECT 1 FROM consultation_view c WHERE c.citizen_id = visits.citizen_id"
        "   AND c.asked_at >= visits.first AND c.asked_at <= visits.last + $4)) AS settled"
        " FROM visits",
        since,
        until,
        VISIT_GAP,
        ASK_WINDOW,
        now,
    )
    assert row is not None  # an aggregate query always answers one row
    decided, settled = int(row["decided"]), int(row["settled"])
    return SelfServiceStats(
        searches=int(row["searches"]),
        visits=int(row["visits"]),
        visits_with_answers=decided,
        answered_without_asking=settled,
        answered_without_asking_share=round(settled / decided, 4) if decided else None,
    )
