"""The one round trip of a submission before its save.

A submission used to ask the database three times before saving: the service item (its whole
stream replayed and its definition parsed), the submitter's files, and the day's number. Now
the item comes from this process's cache (``Services.service_items``) and one statement
confirms it is still current (its stream's version), tells which of the named files are the
submitter's, and draws the number only if the caller found nothing wrong so far, the item is
the cached version and every file is the submitter's. So a refused submission still uses no
number, and a catalogue revised by another process is seen by the next submission.
"""

from __future__ import annotations

from datetime import date
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

from backend.applications.numbers import DRAW_NUMBER
from backend.eventstore.versioned import Versioned
from domain.catalog import ServiceDefinition, ServiceItem, service_item_id
from domain.numbering import application_number, compact_code

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["Admission", "admit", "current_item", "reload_item"]


class Admission(msgspec.Struct, frozen=True):
    """What the database said: the item's stream version (None: no such item), the named
    files that are the submitter's, and the number when one was drawn."""

    item_version: int | None
    owned: frozenset[UUID]
    number: str | None


@cache
def _sql(events_table: str) -> str:
    # $1 day, $2 compact code (the number's), $3 item id, $4 owner, $5 file ids, $6 may draw,
    # $7 the cached item version, $8 how many distinct files are named
    draw = DRAW_NUMBER.format(
        condition="WHERE $6::boolean AND (SELECT version FROM item) = $7::bigint"
        " AND (SELECT cardinality(ids) FROM owned) = $8::integer"
    )
    return (
        f"WITH item AS (SELECT max(originator_version) AS version FROM {events_table}"
        " WHERE originator_id = $3::uuid),"
        " owned AS (SELECT coalesce(array_agg(id), '{}'::uuid[]) AS ids FROM files"
        " WHERE owner_id = $4::uuid AND id = ANY($5::uuid[])),"
        f" drawn AS ({draw})"
        " SELECT (SELECT version FROM item), (SELECT ids FROM owned),"
        " (SELECT last FROM drawn)"
    )


# an item's id is a name-based UUID (SHA-1 of its code): worth computing once per code
_item_id = lru_cache(maxsize=4096)(service_item_id)


async def current_item(services: Services, code: str) -> Versioned[ServiceDefinition]:
    """The item as this process last saw it, or loaded now (``NotFound`` when there is
    none); still to be confirmed by ``admit``."""
    item_id = _item_id(code)
    cached = services.service_items.get(item_id)
    if cached is not None:
        return cached
    return await reload_item(services, code)


async def reload_item(services: Services, code: str) -> Versioned[ServiceDefinition]:
    """Replay the item's stream and keep what it says (``NotFound`` when there is none)."""
    item = await services.repository.get(ServiceItem, _item_id(code))
    fresh = Versioned(id=item.id, version=item.version, value=item.definition)
    services.service_items.put(fresh)
    return fresh


async def admit(
    services: Services,
    item: Versioned[ServiceDefinition],
    *,
    owner: UUID,
    file_ids: list[UUID],
    day: date,
    draw: bool,
) -> Admission:
    """Confirm ``item``, look up ``file_ids`` among ``owner``'s uploads, and with ``draw``
    take the day's next number if the item is current and every file is the owner's."""
    distinct = set(file_ids)
    code = item.value.code
    row = await services.pool.fetchrow(
        _sql(services.repository.recorder.table),
        day,
        compact_code(code),
        item.id,
        owner,
        list(distinct),
        draw,
        item.version,
        len(distinct),
    )
    assert row is not None  # the statement always returns one row
    version, owned, sequence = row[0], row[1], row[2]
    return Admission(
        item_version=version,
        owned=frozenset(owned),
        number=application_number(day, code, int(sequence)) if sequence is not None else None,
    )
