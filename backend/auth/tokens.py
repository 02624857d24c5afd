"""JWT bearer tokens (HS256) carrying who the caller is."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import jwt
import msgspec

from domain.actors import Actor
from domain.errors import Unauthenticated

__all__ = ["Principal", "TokenService"]


class Principal(msgspec.Struct, frozen=True):
    """The authenticated caller."""

    id: str
    role: str
    department: str | None = None
    name: str | None = None

    def actor(self) -> Actor:
        return msgspec.convert(msgspec.to_builtins(self), Actor)


class TokenService:
    """Issues and verifies tokens with the configured secret key."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._key = secret_key
        self._ttl = timedelta(seconds=ttl_seconds)

    def issue(self, principal: Principal, now: datetime) -> tuple[str, datetime]:
        """A token for ``principal`` and when it expires."""
        expires = now + self._ttl
        claims: dict[str, Any] = {
            "sub": principal.id,
            "role": principal.role,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        if principal.department is not None:
            claims["dept"] = principal.department
        if principal.name is not None:
            claims["name"] = principal.name
        return jwt.encode(claims, self._key, algorithm="HS256"), expires

    def verify(self, token: str) -> Principal:
        """The principal in a valid token; ``Unauthenticated`` otherwise."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=["HS256"], options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token expired; log in again") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid token") from exc
        return Principal(
            id=str(claims["sub"]),
            role=str(claims.get("role", "")),
            department=claims.get("dept"),
            name=claims.get("name"),
        )
