"""The bases of every request and response body (camelCase JSON), and the shared ones."""

from __future__ import annotations

import msgspec

__all__ = ["Body", "Dto", "Reason"]


class Dto(msgspec.Struct, rename="camel", frozen=True):
    """A response body."""


class Body(msgspec.Struct, rename="camel", frozen=True, forbid_unknown_fields=True):
    """A request body: unknown fields are refused (a typo is a 400, not silently ignored)."""


class Reason(Body, frozen=True):
    """An action that needs a written reason."""

    reason: str
