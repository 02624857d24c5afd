"""Reading uploads back: their types, and their bytes for a preview."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from domain.errors import NotFound

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["file_types", "read_upload"]


async def file_types(services: Services, file_ids: list[UUID]) -> dict[UUID, str]:
    """The content type of each known upload among ``file_ids``."""
    rows = await services.pool.fetch(
        "SELECT id, content_type FROM files WHERE id = ANY($1::uuid[])", file_ids
    )
    return {r["id"]: r["content_type"] for r in rows}


async def read_upload(services: Services, file_id: UUID, owner_id: UUID) -> tuple[bytes, str]:
    """The bytes and content type of an upload of ``owner_id`` (404 for anyone else's)."""
    row = await services.pool.fetchrow(
        "SELECT sha256, content_type FROM files WHERE id = $1 AND owner_id = $2",
        file_id,
        owner_id,
    )
    if row is None:
        raise NotFound("文件不存在")
    return await services.files.open(row["sha256"]), row["content_type"]
