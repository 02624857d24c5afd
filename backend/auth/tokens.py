"""JWT bearer tokens (HS256) carrying who the caller is, signed with the current secret key and
naming it in the ``kid`` header, so that a token signed with a key that is still accepted during
a rotation stays valid until it expires."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import msgspec

from backend.secret_keys import SecretKeys
from domain.actors import Actor
from domain.errors import Unauthenticated

__all__ = ["Principal", "TokenService"]


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
    """Issues tokens with the current secret key; verifies them with the key their ``kid``
    names, if it is the current or an accepted one."""

    def __init__(self, secret_key: str | SecretKeys, ttl_seconds: int) -> None:
        self._keys = secret_key if isinstance(secret_key, SecretKeys) else SecretKeys(secret_key)
        self._ttl = timedelta(seconds=ttl_seconds)

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
        keys = self._keys
        token = jwt.encode(
            claims, keys.current, algorithm="HS256", headers={"kid": keys.current_id}
        )
        return token, expires

    def verify(self, token: str) -> Principal:
        """The principal in a valid token; ``Unauthenticated`` otherwise."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid token") from exc
        if kid is None:  # issued before tokens named their key: any key we know may verify it
            candidates = list(self._keys.by_id.values())
        elif isinstance(kid, str) and kid in self._keys.by_id:
            candidates = [self._keys.by_id[kid]]
        else:
            raise Unauthenticated("this token was signed with a retired key; log in again")
        claims = self._decode(token, candidates)
        jti = claims.get("jti")
        return Principal(
            id=str(claims["sub"]),
            role=str(claims.get("role", "")),
            department=claims.get("dept"),
            name=claims.get("name"),
            token_id=str(jti) if jti else None,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )

    @staticmethod
    def _decode(token: str, keys: list[str]) -> dict[str, Any]:
        for key in keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token, key, algorithms=["HS256"], options={"require": ["exp", "sub"]}
                )
            except jwt.InvalidSignatureError:
                continue  # (only a token without a kid has more than one key to try)
            except jwt.ExpiredSignatureError as exc:
                raise Unauthenticated("token expired; log in again") from exc
            except jwt.PyJWTError as exc:
                raise Unauthenticated("invalid token") from exc
            return claims
        raise Unauthenticated("invalid token")
