"""Staff password hashes (argon2id)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "verify_password"]

# argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane): about 30 ms here instead of the
# library default's 0.5 s on a 2-core machine, which would let a few logins stall the API
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@cache
def _dummy() -> str:
    """A hash to verify against when the user is unknown, so both answers take as long (made
    on the first login, not at import time)."""
    return _hasher.hash("onewindow-no-such-user")


def hash_password(password: str) -> str:
    """A salted argon2id hash (CPU-bound: call it off the event loop)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; ``None`` (unknown user) never matches."""
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
