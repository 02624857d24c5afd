"""The bases of every request and response body (camelCase JSON), and the shared ones."""

from __future__ import annotations

from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec

from domain.calendar import CST

__all__ = ["Body", "Dto", "Reason"]


class Dto(msgspec.Struct, rename="camel", frozen=True):
    """A response body. Every timestamp it carries is given in China time (+08:00), whatever
    zone it was read in (asyncpg answers timestamptz in UTC): one zone in the whole API."""

    def __post_init__(self) -> None:
        names = _TIMESTAMPS.get(type(self))
        if names is None:
            names = _TIMESTAMPS[type(self)] = _timestamp_fields(type(self))
        for name in names:
            value = getattr(self, name)
            if isinstance(value, datetime) and value.tzinfo is not None:
                msgspec.structs.force_setattr(self, name, value.astimezone(CST))


# per response type, the fields that may hold a timestamp: the others are not looked at (a
# progress answer decodes a dozen structs, most without one)
_TIMESTAMPS: dict[type, tuple[str, ...]] = {}


def _timestamp_fields(cls: type[msgspec.Struct]) -> tuple[str, ...]:
    return tuple(f.name for f in msgspec.structs.fields(cls) if _may_hold_datetime(f.type))


def _may_hold_datetime(annotation: object) -> bool:
    """False only for what surely never holds one (other classes, containers, literals)."""
    if annotation is Any or annotation is object:
        return True
    if isinstance(annotation, type):
        return issubclass(annotation, datetime)
    origin = get_origin(annotation)
    if origin is Annotated:
        return _may_hold_datetime(get_args(annotation)[0])
    if origin is Union or isinstance(annotation, UnionType):
        return any(_may_hold_datetime(arg) for arg in get_args(annotation))
    # list[...], dict[...], tuple[...] and literals never are one; anything else is looked at
    return not (origin is Literal or isinstance(origin, type))


class Body(msgspec.Struct, rename="camel", frozen=True, forbid_unknown_fields=True):
    """A request body: unknown fields are refused (a typo is a 400, not silently ignored)."""


class Reason(Body, frozen=True):
    """An action that needs a written reason."""

    reason: str
