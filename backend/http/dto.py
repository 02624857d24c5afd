"""The bases of every request and response body (camelCase JSON), and the shared ones."""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.calendar import CST

__all__ = ["Body", "Dto", "Reason"]


class Dto(msgspec.Struct, rename="camel", frozen=True):
    """A response body. Every timestamp it carries is given in China time (+08:00), whatever
    zone it was read in (asyncpg answers timestamptz in UTC): one zone in the whole API."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime) and value.tzinfo is not None:
                msgspec.structs.force_setattr(self, name, value.astimezone(CST))


class Body(msgspec.Struct, rename="camel", frozen=True, forbid_unknown_fields=True):
    """A request body: unknown fields are refused (a typo is a 400, not silently ignored)."""


class Reason(Body, frozen=True):
    """An action that needs a written reason."""

    reason: str
