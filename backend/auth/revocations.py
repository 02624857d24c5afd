"""Tokens logged out before they expire, refused at once by every API process.

The guard asks about each request's token id. An answer is cached in this process: a revoked
token stays revoked, a valid one is looked up again after ``CACHE_SECONDS``, so a logout
reaches every process within that time with at most one query per token per second.
"""

from __future__ import annotations

import time
from datetime import datetime

import asyncpg

__all__ = ["CACHE_SECONDS", "CACHE_SIZE", "TokenRevocations"]

CACHE_SECONDS = 1.0
CACHE_SIZE = 50_000  # token ids per process, of either kind


class TokenRevocations:
    """One per process."""

    def __init__(self, pool: asyncpg.Pool, *, cache_size: int = CACHE_SIZE) -> None:
        self.pool = pool
        self.cache_size = cache_size
        self._valid: dict[str, float] = {}  # token id -> when it was last seen not revoked
        self._revoked: set[str] = set()

    @property
    def cached(self) -> int:
        """How many token ids this process keeps an answer for."""
        return len(self._valid) + len(self._revoked)

    async def revoke(self, token_id: str, expires_at: datetime) -> None:
        """Log the token out everywhere (kept until it would have expired)."""
        await self.pool.execute(
            "INSERT INTO revoked_tokens (token_id, expires_at) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            token_id,
            expires_at,
        )
        self._remember_revoked(token_id)
        await self.pool.execute("DELETE FROM revoked_tokens WHERE expires_at < now()")

    def _remember_revoked(self, token_id: str) -> None:
        # bounded too: a logout a minute would otherwise grow it for as long as the process
        # runs; a token dropped here is found in the table again (kept until it expires)
        if len(self._revoked) >= self.cache_size:
            self._revoked.clear()
        self._revoked.add(token_id)
        self._valid.pop(token_id, None)

    async def is_revoked(self, token_id: str) -> bool:
        """Whether the token was logged out (in any process)."""
        if token_id in self._revoked:
            return True
        now = time.monotonic()
        seen = self._valid.get(token_id)
        if seen is not None and now - seen < CACHE_SECONDS:
            return False
        revoked = await self.pool.fetchval(
            "SELECT true FROM revoked_tokens WHERE token_id = $1", token_id
        )
        if revoked:
            self._remember_revoked(token_id)
            return True
        if len(self._valid) >= self.cache_size:  # bounded: a cache, not a copy of the sessions
            self._valid.clear()
        self._valid[token_id] = now
        return False
