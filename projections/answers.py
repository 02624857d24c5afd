"""Self-service answers: every item's FAQs and its guide, as words PostgreSQL can search.

One row per FAQ and one for the guide of each item, renewed whenever the item is published or
revised. Weights (ts_rank's A..D): the question A, the answer B, the item's name C, the guide's
long text D, so a FAQ that asks what the citizen asks comes before a guide that mentions it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from domain.catalog import ServiceDefinition, ServiceItem
from projections.answer_terms import terms

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

__all__ = ["GUIDE_POSITION", "AnswersProjection", "guide_answer"]

GUIDE_POSITION = -1
_INSERT = (
    "INSERT INTO answer_index (service_code, position, kind, service_name, department, question,"
    " answer, legal_basis, terms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
    " setweight(to_tsvector('simple', $9), 'A') || setweight(to_tsvector('simple', $10), 'B')"
    " || setweight(to_tsvector('simple', $11), 'C')"
    " || setweight(to_tsvector('simple', $12), 'D'))"
)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def guide_answer(item: ServiceDefinition) -> str:
    """The guide in a few sentences: who, how long, what it costs, what to bring."""
    fee = f"收费{_yuan(item.fee)}元" if item.fee else "不收费"
    parts = [
        f"{item.name}由{item.department}受理，承诺{item.promised_days}个工作日办结"
        f"（法定{item.legal_days}个工作日），{fee}。",
    ]
    if item.description:
        parts.append(item.description)
    for situation in item.situations:
        names = "、".join(m.name for m in situation.materials if m.required)
        parts.append(f"{situation.name}需要：{names}。")
    return "".join(parts)


class AnswersProjection:
    """Keeps ``answer_index``."""

    name: str = "answers"
    tables: tuple[str, ...] = ("answer_index",)

    async def process(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        position: int,
    ) -> None:
        if not isinstance(event, ServiceItem.Published | ServiceItem.Revised):
            return
        raw: dict[str, Any] = event.definition
        item = msgspec.convert(raw, ServiceDefinition)
        await conn.execute("DELETE FROM answer_index WHERE service_code = $1", item.code)
        rows: list[tuple[Any, ...]] = []
        for index, faq in enumerate(item.faqs):
            basis = msgspec.to_builtins(faq.legal_basis) if faq.legal_basis else None
            rows.append(
                (
                    item.code,
                    index,
                    "faq",
                    item.name,
                    item.department,
                    faq.question,
                    faq.answer,
                    basis,
                    terms(faq.question),
                    terms(faq.answer),
                    terms(item.name),
                    "",
                )
            )
        guide = guide_answer(item)
        rows.append(
            (
                item.code,
                GUIDE_POSITION,
                "guide",
                item.name,
                item.department,
                f"{item.name}办事指南",
                guide,
                None,
                terms(f"{item.name} 办事指南"),
                "",
                "",
                terms(guide),
            )
        )
        for row in rows:  # the runner's buffered connection sends these as one executemany
            await conn.execute(_INSERT, *row)
