"""Our asyncpg event store, in eventsourcing's table layout and write rule."""

from backend.eventstore.mapper import Event, build_mapper, decode
from backend.eventstore.recorder import EVENTS_TABLE, Notification, Recorder
from backend.eventstore.repository import Repository, Saved, Session

__all__ = [
    "EVENTS_TABLE",
    "Event",
    "Notification",
    "Recorder",
    "Repository",
    "Saved",
    "Session",
    "build_mapper",
    "decode",
]
