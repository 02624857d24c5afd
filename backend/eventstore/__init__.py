"""Our asyncpg event store, in eventsourcing's table layout and write rule."""

from backend.eventstore.keyring import KeyNeeded, KeyRing, KeyUnavailable
from backend.eventstore.mapper import (
    Event,
    EventMapper,
    build_mapper,
    decode,
    decode_all,
    encode_all,
)
from backend.eventstore.recorder import EVENTS_TABLE, Notification, Recorder
from backend.eventstore.repository import Repository, Saved, Session

__all__ = [
    "EVENTS_TABLE",
    "Event",
    "EventMapper",
    "KeyNeeded",
    "KeyRing",
    "KeyUnavailable",
    "Notification",
    "Recorder",
    "Repository",
    "Saved",
    "Session",
    "build_mapper",
    "decode",
    "decode_all",
    "encode_all",
]
