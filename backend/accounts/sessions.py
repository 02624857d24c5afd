"""Staff sessions of the operator console, in PostgreSQL (``console_sessions``).

A session is a random token in an HttpOnly cookie; the table keeps only its SHA-256 and the
staff id (never a role or a department: those are read from ``staff`` on every request). Ids
are made here at login only, so a client can never choose one (no session fixation), and a
login always starts a new one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    import asyncpg

__all__ = ["close_session", "open_session", "session_staff"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def open_session(pool: asyncpg.Pool, staff_id: UUID, now: datetime, ttl: timedelta) -> str:
    """A new session for ``staff_id``; the token goes in the cookie and nowhere else."""
    token = secrets.token_urlsafe(32)
    await pool.execute(
        "WITH swept AS (DELETE FROM console_sessions WHERE expires_at < $3)"
        " INSERT INTO console_sessions (token_hash, staff_id, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4)",
        _hash(token),
        staff_id,
        now,
        now + ttl,
    )
    return token


async def session_staff(pool: asyncpg.Pool, token: str, now: datetime) -> UUID | None:
    """Whose session the token opens, if it is known and not expired."""
    if not token or len(token) > 100:
        return None
    staff_id: UUID | None = await pool.fetchval(
        "SELECT staff_id FROM console_sessions WHERE token_hash = $1 AND expires_at > $2",
        _hash(token),
        now,
    )
    return staff_id


async def close_session(pool: asyncpg.Pool, token: str) -> None:
    """Log out: the token opens nothing any more."""
    await pool.execute("DELETE FROM console_sessions WHERE token_hash = $1", _hash(token))
