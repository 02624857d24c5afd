"""Forgetting a citizen (个人信息删除): crypto-shredding of their personal data, everywhere.

Every value about the citizen is sealed under their key in the event store (their forms and
addresses, and free text written by or about them: comments, notes, reasons, signers' names).
Deleting the key erases all of it at once, in events and snapshots alike, while the cases stay
whole for history and statistics.

The read models show some of those words in clear (a timeline says who signed for a parcel, a
rectification shows the comment that opened it). So before the key goes, the words are read
back from the citizen's streams, and once it is gone they are replaced by "[已删除]" in the read
models' rows of the citizen's cases: nothing of them is left in the database. Other processes
may still hold the key in memory for ``citizen_key_cache_seconds``; a projection applying a new
event of the citizen in that window can write their words again (documented in
docs/personal-data.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from backend.accounts.dto import PersonalDataErased
from domain.personal import ERASED_TEXT, Personal

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["forget_citizen", "scrubbed"]

_log = logging.getLogger(__name__)

# (table, key column, JSON or text columns to scrub); rows of the citizen's applications
_READ_MODELS = (
    ("application_view", "id", ("detail", "work")),
    ("rectification_view", "application_id", ("comment", "steps")),
    ("delivery_view", "application_id", ("events",)),
    ("notification_outbox", "application_id", ("data",)),
)
# the same, for rows of the citizen's consultations (咨询)
_CONSULTATION_READ_MODELS = (
    ("consultation_view", "id", ("question", "messages", "forwards")),
    ("notification_outbox", "originator_id", ("data",)),
)
# the same, for rows of the citizen's pre-reviews (预审): the clerks' notes on their drafts
_PRE_REVIEW_READ_MODELS = (("pre_review_view", "id", ("findings", "rounds")),)


async def forget_citizen(services: Services, citizen_id: UUID, *, by: str) -> PersonalDataErased:
    """Delete the citizen's data key and scrub what the read models showed of them."""
    applications = [
        r["id"]
        for r in await services.pool.fetch(
            "SELECT id FROM application_view WHERE citizen_id = $1", citizen_id
        )
    ]
    consultations = [
        r["id"]
        for r in await services.pool.fetch(
            "SELECT id FROM consultation_view WHERE citizen_id = $1", citizen_id
        )
    ]
    pre_reviews = [
        r["id"]
        for r in await services.pool.fetch(
            "SELECT id FROM pre_review_view WHERE citizen_id = $1", citizen_id
        )
    ]
    words = await _their_words(services, citizen_id, [*applications, *consultations, *pre_reviews])
    erased = await services.repository.keys.forget(services.pool, citizen_id, by=by)
    # the keyed digest binding their ID number to this account goes too (it may be declared anew)
    await services.pool.execute("DELETE FROM citizen_identities WHERE citizen_id = $1", citizen_id)
    await _scrub(services, applications, words)
    await _scrub(services, consultations, words, _CONSULTATION_READ_MODELS)
    await _scrub(services, pre_reviews, words, _PRE_REVIEW_READ_MODELS)
    if erased:  # a record outside the database: a restored backup may predate the erasure
        _log.info("erased the personal data of citizen %s (by %s)", citizen_id, by)
    return PersonalDataErased(citizen_id=citizen_id, erased=erased)


async def _their_words(services: Services, citizen_id: UUID, applications: list[UUID]) -> set[str]:
    """Every text sealed under the citizen's key in the streams of their cases."""
    streams = set(applications)
    streams |= {
        r["id"]
        for r in await services.pool.fetch(
            "SELECT id FROM delivery_view WHERE application_id = ANY($1::uuid[])"
            " UNION SELECT id FROM rectification_view WHERE application_id = ANY($1::uuid[])"
            " UNION SELECT payment_id FROM payment_orders WHERE citizen_id = $2",
            applications,
            citizen_id,
        )
    }
    words: set[str] = set()
    for stream in streams:
        for event in await services.repository.events(stream):
            _collect(vars(event).values(), citizen_id, words)
    # one character says nothing about anyone, and would blot out unrelated text
    return {w for w in words if len(w.strip()) >= 2}


def _collect(values: Iterable[Any], owner: UUID, into: set[str]) -> None:
    for value in values:
        if isinstance(value, Personal):
            if value.owner == owner and value.value is not None:
                _strings(value.value, into)
        elif isinstance(value, dict):
            _collect(value.values(), owner, into)
        elif isinstance(value, list | tuple):
            _collect(value, owner, into)


def _strings(value: Any, into: set[str]) -> None:
    if isinstance(value, str):
        into.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, into)
    elif isinstance(value, list | tuple):
        for item in value:
            _strings(item, into)


def scrubbed(value: Any, words: set[str]) -> Any:
    """``value`` (JSON-like) with every occurrence of ``words`` inside its texts replaced by
    "[已删除]", longest first; structure and keys untouched."""
    if isinstance(value, str):
        for word in sorted(words, key=len, reverse=True):
            if word in value:
                value = value.replace(word, ERASED_TEXT)
        return value
    if isinstance(value, dict):
        return {k: scrubbed(v, words) for k, v in value.items()}
    if isinstance(value, list):
        return [scrubbed(v, words) for v in value]
    return value


async def _scrub(
    services: Services,
    applications: list[UUID],
    words: set[str],
    read_models: tuple[tuple[str, str, tuple[str, ...]], ...] = _READ_MODELS,
) -> None:
    if not words or not applications:
        return
    async with services.pool.acquire() as conn, conn.transaction():
        for table, key, columns in read_models:
            rows = await conn.fetch(
                f"SELECT ctid, {', '.join(columns)} FROM {table}"  # noqa: S608 - constants
                # in the order the progress projection locks its rows: never a deadlock
                f" WHERE {key} = ANY($1::uuid[]) ORDER BY {key} FOR UPDATE",
                applications,
            )
            for row in rows:
                changed = {c: scrubbed(row[c], words) for c in columns}
                if any(changed[c] != row[c] for c in columns):
                    assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, 2))
                    await conn.execute(
                        f"UPDATE {table} SET {assignments} WHERE ctid = $1",  # noqa: S608
                        row["ctid"],
                        *changed.values(),
                    )
