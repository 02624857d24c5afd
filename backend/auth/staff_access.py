"""Whether a staff account may act now, and as what: the one check behind console sessions and
the bearer-token guard, so that deactivating or moving an account takes effect at once.

The row is read again on every request, through a cache of at most ``CACHE_SECONDS`` per
process: a deactivated account is refused within that time everywhere, without a query per
click when a page fires several requests at once.
"""

from __future__ import annotations

import time
from uuid import UUID

import asyncpg
import msgspec

from backend.auth.tokens import Principal
from domain.actors import StaffRole

__all__ = ["CACHE_SECONDS", "StaffAccount", "forget_cached", "staff_account"]

CACHE_SECONDS = 1.0

# per pool (one per app), so that two apps in one process never share answers; a pool takes
# no weak reference, so the entry keeps its pool and is replaced when another one has its id
_Entries = dict[UUID, tuple[float, "StaffAccount | None"]]
_caches: dict[int, tuple[asyncpg.Pool, _Entries]] = {}


class StaffAccount(msgspec.Struct, frozen=True):
    """An active staff account as it is right now."""

    id: UUID
    username: str
    role: StaffRole
    department: str | None

    def principal(self) -> Principal:
        """The caller, as command handlers take it."""
        return Principal(
            id=str(self.id), role=self.role, department=self.department, name=self.username
        )


async def staff_account(pool: asyncpg.Pool, staff_id: UUID) -> StaffAccount | None:
    """The account if it exists and is active; None otherwise (cached for at most 1 s)."""
    cache = _cache_of(pool)
    now = time.monotonic()
    hit = cache.get(staff_id)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    row = await pool.fetchrow(
        "SELECT id, username, role, department FROM staff WHERE id = $1 AND active", staff_id
    )
    account = (
        None
        if row is None
        else StaffAccount(
            id=row["id"], username=row["username"], role=row["role"], department=row["department"]
        )
    )
    if len(cache) > 10_000:  # bounded: a cache, not a copy of the staff table
        cache.clear()
    cache[staff_id] = (now, account)
    return account


def _cache_of(pool: asyncpg.Pool) -> _Entries:
    found = _caches.get(id(pool))
    if found is None or found[0] is not pool:
        found = _caches[id(pool)] = (pool, {})
    return found[1]


def forget_cached(pool: asyncpg.Pool, staff_id: UUID) -> None:
    """Drop this process's cached answer (after a change made here)."""
    _cache_of(pool).pop(staff_id, None)
