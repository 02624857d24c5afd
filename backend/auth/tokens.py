"""JWT bearer tokens (HS256) carrying who the caller is."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import msgspec

from domain.actors import Actor
from domain.errors import Unauthenticated

__all__ = ["Principal", "TokenService"]

_CACHE_SIZE = 100_000


class Principal(msgspec.Struct, frozen=True):
    """The authenticated caller (``token_id`` and ``expires_at``: of the token that says so)."""

    id: str
    role: str
    department: str | None = None
    name: str | None = None
    token_id: str | None = None
    expires_at: datetime | None = None

    def actor(self) -> Actor:
        return msgspec.convert(
            {"id": self.id, "role": self.role, "department": self.department, "name": self.name},
            Actor,
        )


class TokenService:
    """Issues and verifies tokens with the configured secret key."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._key = secret_key
        self._ttl = timedelta(seconds=ttl_seconds)
        # tokens already verified, until they expire: a phone refreshing its progress sends the
        # same token again and again, and HMAC-checking it each time was a tenth of a request
        self._verified: dict[str, Principal] = {}

    def issue(self, principal: Principal, now: datetime) -> tuple[str, datetime]:
        """A token for ``principal`` and when it expires."""
        expires = now + self._ttl
        claims: dict[str, Any] = {
            "sub": principal.id,
            "role": principal.role,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": secrets.token_urlsafe(16),  # its id: a logout revokes this token alone
        }
        if principal.department is not None:
            claims["dept"] = principal.department
        if principal.name is not None:
            claims["name"] = principal.name
        return jwt.encode(claims, self._key, algorithm="HS256"), expires

    def verify(self, token: str) -> Principal:
        """The principal in a valid token; ``Unauthenticated`` otherwise."""
        known = self._verified.get(token)
        if known is not None:
            if known.expires_at is not None and known.expires_at > datetime.now(UTC):
                return known
            del self._verified[token]
            raise Unauthenticated("登录已过期，请重新登录")
        principal = self._verify(token)
        if len(self._verified) >= _CACHE_SIZE:  # bounded: a cache, not a session store
            self._verified.clear()
        self._verified[token] = principal
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token, self._key, algorithms=["HS256"], options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("登录已过期，请重新登录") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("登录凭证无效，请重新登录") from exc
        jti = claims.get("jti")
        return Principal(
            id=str(claims["sub"]),
            role=str(claims.get("role", "")),
            department=claims.get("dept"),
            name=claims.get("name"),
            token_id=str(jti) if jti else None,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
