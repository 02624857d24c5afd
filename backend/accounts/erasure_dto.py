"""Bodies of the citizens' personal-data endpoints (camelCase)."""

from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ["PersonalDataErased"]


class PersonalDataErased(msgspec.Struct, rename="camel", frozen=True):
    """``erased`` is false when there was no key to delete (nothing personal was stored, or
    the citizen had been forgotten already)."""

    citizen_id: UUID
    erased: bool
