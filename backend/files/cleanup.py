"""Uploads that were never used: deleted a day after their upload (the worker's watcher)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["UNATTACHED_FOR", "delete_unattached_files"]

UNATTACHED_FOR = timedelta(days=1)
_log = logging.getLogger(__name__)


async def delete_unattached_files(services: Services) -> int:
    """Delete the rows of files no command named within ``UNATTACHED_FOR`` of their upload,
    and their content when no other row holds the same content; how many rows went."""
    cutoff = services.clock() - UNATTACHED_FOR
    async with services.pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "DELETE FROM files WHERE attached_at IS NULL AND created_at < $1 RETURNING sha256",
            cutoff,
        )
        gone = sorted({r["sha256"] for r in rows})
        kept = {
            r["sha256"]
            for r in await conn.fetch(
                "SELECT DISTINCT sha256 FROM files WHERE sha256 = ANY($1::text[])", gone
            )
        }
    for sha256 in sorted(set(gone) - kept):  # the same scan may be someone else's file
        async with services.pool.acquire() as conn, conn.transaction():
            # the content's lock (see upload): no row for it appears while it goes
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "file:" + sha256
            )
            if not await conn.fetchval("SELECT 1 FROM files WHERE sha256 = $1", sha256):
                await services.files.delete(sha256)
    if rows:
        _log.info("deleted %d uploads never attached within %s", len(rows), UNATTACHED_FOR)
    return len(rows)
