"""Staff password hashes (argon2id)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "verify_password"]

_hasher = PasswordHasher()
# verifying against this when the user is unknown keeps the timing of both answers alike
_DUMMY = _hasher.hash("onewindow-no-such-user")


def hash_password(password: str) -> str:
    """A salted argon2id hash."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; ``None`` (unknown user) never matches."""
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
