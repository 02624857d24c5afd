"""Our asyncpg event store, in eventsourcing's table layout and write rule."""

from backend.eventstore.keyring import KeyNeeded, KeyRing, KeyUnavailable
from backend.eventstore.mapper import (
    Event,
    EventMapper,
    build_mapper,
    decode,
    decode_all,
    decoder,
    encode_all,
)
from backend.eventstore.recorder import EVENTS_TABLE, Notification, Recorder
from backend.eventstore.repository import Repository, Session, SnapshotPolicy
from backend.eventstore.types import AfterInsert, CommitFailed, GroupRows, Saved, Writer, chain

__all__ = [
    "EVENTS_TABLE",
    "AfterInsert",
    "CommitFailed",
    "Event",
    "EventMapper",
    "GroupRows",
    "KeyNeeded",
    "KeyRing",
    "KeyUnavailable",
    "Notification",
    "Recorder",
    "Repository",
    "Saved",
    "Session",
    "SnapshotPolicy",
    "Writer",
    "build_mapper",
    "chain",
    "decode",
    "decode_all",
    "decoder",
    "encode_all",
]
