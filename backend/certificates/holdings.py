"""What a citizen holds, for the guide's 免提交 marks.

The public face of certificates for the catalogue feature."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["Held", "holdings_of"]


class Held(msgspec.Struct, frozen=True):
    """One certificate a citizen holds, as the rules need it (``certificates.rules.Holding``)."""

    id: UUID
    type_code: str
    status: str
    valid_from: str
    valid_until: str | None


async def holdings_of(services: Services, citizen_id: UUID) -> list[Held]:
    """The citizen's certificates that are not revoked (validity is the rules' to judge)."""
    rows = await services.pool.fetch(
        "SELECT id, type_code, status, valid_from::text, valid_until::text FROM certificate_view"
        " WHERE holder_id = $1 AND status <> 'revoked'",
        citizen_id,
    )
    return [Held(r[0], r[1], r[2], r[3], r[4]) for r in rows]
