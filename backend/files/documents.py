"""Files onewindow writes for a citizen (a certificate's PDF): stored like uploads, owned by
the citizen, and in use from the start (no quota, never cleaned up).

The public face of files for the certificates feature."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.eventstore import AfterInsert, Saved
    from backend.services import Services
    from integrations.files import StoredFile

__all__ = ["OwnedDocument", "open_document", "store_document"]


class OwnedDocument:
    """A document stored for ``owner``: its content is in the file store already; ``row``
    writes its ``files`` row in the transaction of the events that name it."""

    def __init__(self, file_id: uuid.UUID, owner: uuid.UUID, stored: StoredFile) -> None:
        self.file_id = file_id
        self.owner = owner
        self.stored = stored

    @property
    def row(self) -> AfterInsert:
        """The ``files`` row, attached (in use) from the start."""

        async def insert(conn: asyncpg.Connection | PoolConnectionProxy, _: Saved) -> None:
            await conn.execute(
                "INSERT INTO files (id, owner_id, sha256, size, content_type, attached_at)"
                " VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (id) DO NOTHING",
                self.file_id,
                self.owner,
                self.stored.sha256,
                self.stored.size,
                self.stored.content_type,
            )

        return insert


async def store_document(
    services: Services, owner: uuid.UUID, data: bytes, content_type: str = "application/pdf"
) -> OwnedDocument:
    """Put ``data`` in the file store (content-addressed: storing it twice writes it once)."""
    stored = await services.files.save(data, content_type)
    return OwnedDocument(uuid.uuid4(), owner, stored)


async def open_document(
    services: Services, owner: uuid.UUID, file_id: uuid.UUID
) -> tuple[bytes, str] | None:
    """The content and type of ``owner``'s file ``file_id`` (None: not theirs, or gone)."""
    row = await services.pool.fetchrow(
        "SELECT sha256, content_type FROM files WHERE id = $1 AND owner_id = $2", file_id, owner
    )
    if row is None:
        return None
    try:
        return await services.files.open(row["sha256"]), row["content_type"]
    except KeyError:
        return None
