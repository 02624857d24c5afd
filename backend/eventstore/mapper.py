"""Domain event <-> stored event, with the same transcodings as eventsourcing's Application."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

__all__ = ["Event", "build_mapper", "decode"]

Event = CanMutateAggregate[UUID]


def build_mapper() -> Mapper[UUID]:
    """The mapper; the stock application decodes what it encodes (see the compatibility test)."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def decode(mapper: Mapper[UUID], stored: StoredEvent) -> Event:
    """A stored event as one of our aggregate events."""
    return cast("Event", mapper.to_domain_event(stored))
