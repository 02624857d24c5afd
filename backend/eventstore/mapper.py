"""Domain event <-> stored event, with the same transcodings as eventsourcing's Application, plus
``PersonalAsEnvelope``: personal data is sealed under its owner's key (see ``keyring``).

Mapping is synchronous and a key may not be in memory yet, so code that reads or writes the store
maps through ``encode_all`` / ``decode_all``: they load (or create) the keys a batch of events
needs in one query and map again. ``decode`` alone raises ``KeyNeeded`` for a key not loaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    UUIDAsHex,
)

from backend.eventstore.keyring import KeyNeeded, KeyRing
from backend.eventstore.personal import PersonalAsEnvelope
from domain.events import Event

if TYPE_CHECKING:
    import asyncpg

    from backend.eventstore.keyring import Executor

__all__ = [
    "Event",
    "EventMapper",
    "build_mapper",
    "decode",
    "decode_all",
    "decoder",
    "encode_all",
]


# rounds of "map, load the missing keys" before giving up (one is enough unless the cache
# bound is smaller than the number of citizens in one batch)
_ROUNDS = 5
# a runner's decoding gives way to the other tasks this often (events): see ``decoder``
_GIVE_WAY_EVERY = 100


class EventMapper(Mapper[UUID]):
    """eventsourcing's mapper, with the key ring its personal-data transcoding reads."""

    def __init__(self, transcoder: JSONTranscoder, keys: KeyRing) -> None:
        super().__init__(transcoder=transcoder)
        self.keys = keys

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        try:
            return super().to_domain_event(stored_event)
        except MapperDeserialisationError as exc:
            if not isinstance(exc.__cause__, KeyNeeded):
                raise
            owner, version = exc.__cause__.owner, exc.__cause__.version  # a key to load
        # a new error, raised outside the handler: the wrapped one re-raised from inside it
        # made a cycle (it and its wrapper referred to each other as cause and context) that
        # kept the frames of every such decode, and the batch they were decoding, alive until
        # the cyclic collector walked them all
        raise KeyNeeded(owner, version)


def register_transcodings(transcoder: JSONTranscoder, keys: KeyRing) -> None:
    """Our transcodings: the stock application's three and personal data (also used to let the
    stock application read our table, see the compatibility test)."""
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), PersonalAsEnvelope(keys)):
        transcoder.register(transcoding)


def build_mapper(keys: KeyRing | None = None) -> EventMapper:
    """The mapper. Without ``keys`` it has no secret key: events without personal data map as
    usual, personal data can be neither sealed nor read (``KeyUnavailable``)."""
    ring = keys if keys is not None else KeyRing(None)
    transcoder = JSONTranscoder()
    register_transcodings(transcoder, ring)
    return EventMapper(transcoder, ring)


def decode(mapper: Mapper[UUID], stored: StoredEvent) -> Event:
    """A stored event as one of our aggregate events (``KeyNeeded`` if a key is not loaded)."""
    return cast("Event", mapper.to_domain_event(stored))


def _keys(mapper: Mapper[UUID], exc: KeyNeeded) -> KeyRing:
    if not isinstance(mapper, EventMapper):  # pragma: no cover - only our mapper raises it
        raise exc
    return mapper.keys


async def decode_all(
    mapper: Mapper[UUID], db: Executor, stored: Sequence[StoredEvent], *, give_way_every: int = 0
) -> list[Any]:
    """Decode events (or snapshots), loading the keys they need from ``db`` in one query.

    ``give_way_every``: after that many events, let the event loop run other tasks (0: never).
    """
    decoded: list[Any] = [None] * len(stored)
    todo: Sequence[int] = range(len(stored))
    for _ in range(_ROUNDS):
        needed: dict[UUID, int | None] = {}
        again: list[int] = []
        keys: KeyRing | None = None
        for n, i in enumerate(todo, 1):
            if give_way_every and n % give_way_every == 0:
                await asyncio.sleep(0)
            try:
                decoded[i] = mapper.to_domain_event(stored[i])
            except KeyNeeded as exc:
                keys = _keys(mapper, exc)
                needed[exc.owner] = max(needed.get(exc.owner) or 0, exc.version or 0)
                again.append(i)
        if keys is None:
            return decoded
        await keys.load(db, needed)
        todo = again
    msg = "the citizen keys needed to decode these events keep leaving the cache"
    raise RuntimeError(msg)


def decoder(mapper: Mapper[UUID]) -> Callable[[Sequence[StoredEvent], Executor], Awaitable[Any]]:
    """``decode_all`` with its mapper bound: how a projection runner reads the log.

    It gives way to other tasks every hundred events: the runner decodes the next batch
    while the current one is written, and without pauses that decoding would hold up the
    writer's own work (building its rows, and sending them) until all of it is done, so the
    two would take turns instead of the decoding filling the time the writer waits on
    PostgreSQL. Every 500 events was too seldom: the event loop's turns are also when a large
    statement's bytes go out.
    """

    async def decode_on(stored: Sequence[StoredEvent], db: Executor) -> list[Any]:
        return await decode_all(mapper, db, stored, give_way_every=_GIVE_WAY_EVERY)

    return decode_on


async def encode_all(
    mapper: Mapper[UUID],
    pool: asyncpg.Pool,
    events: Sequence[DomainEventProtocol[UUID]],
    db: Executor | None = None,
) -> list[StoredEvent]:
    """Encode events (or snapshots), creating the citizens' keys they need first.

    A caller that already holds a connection passes it as ``db``: existing keys are read on it,
    and only a key that does not exist yet takes a second connection from the pool (keys are
    created and committed on their own), so a full pool cannot deadlock on key reads.
    """
    encoded: list[StoredEvent | None] = [None] * len(events)
    todo: Sequence[int] = range(len(events))
    for _ in range(_ROUNDS):
        owners: list[UUID] = []
        again: list[int] = []
        keys: KeyRing | None = None
        for i in todo:
            try:
                encoded[i] = mapper.to_stored_event(events[i])
            except KeyNeeded as exc:
                keys = _keys(mapper, exc)
                owners.append(exc.owner)
                again.append(i)
        if keys is None:
            return cast("list[StoredEvent]", encoded)
        if db is not None:
            await keys.load(db, dict.fromkeys(owners))
            if all(keys.has(owner) for owner in owners):
                todo = again
                continue
        await keys.ensure(pool, owners)
        todo = again
    msg = "the citizen keys needed to encode these events keep leaving the cache"
    raise RuntimeError(msg)
