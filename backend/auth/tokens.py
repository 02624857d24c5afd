"""JWT bearer tokens (HS256) carrying who the caller is, signed with the current secret key and
naming it in the ``kid`` header, so that a token signed with a key that is still accepted during
a rotation stays valid until it expires."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import msgspec

from backend.secret_keys import SecretKeys
from domain.actors import Actor
from domain.errors import Unauthenticated

__all__ = ["CACHE_SIZE", "Principal", "TokenService"]

# tokens verified lately, per process: the phones in use now, not every token of the day (a
# new citizen a second would otherwise fill it with tokens nobody sends again, about 1 KB each)
CACHE_SIZE = 4_096


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
        # tokens already verified, until they expire: a phone refreshing its progress sends the
        # same token again and again, and HMAC-checking it each time was a tenth of a request
        # (with the id of the key that verified it: a token whose key is no longer known is
        # refused even if it is here); the least recently used go first past CACHE_SIZE
        self._verified: OrderedDict[str, tuple[Principal, str]] = OrderedDict()

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

    def use_keys(self, keys: SecretKeys) -> None:
        """Sign with ``keys.current`` and verify with ``keys`` from now on; a verified token
        whose key is no longer among them is refused from now on too."""
        self._keys = keys
        self._verified = OrderedDict(
            (t, v) for t, v in self._verified.items() if v[1] in keys.by_id
        )

    def verify(self, token: str) -> Principal:
        """The principal in a valid token; ``Unauthenticated`` otherwise."""
        known = self._verified.get(token)
        if known is not None:
            principal, kid = known
            if kid not in self._keys.by_id:
                del self._verified[token]
                raise Unauthenticated("登录凭证的密钥已停用，请重新登录")
            if principal.expires_at is not None and principal.expires_at > datetime.now(UTC):
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
            raise Unauthenticated("登录已过期，请重新登录")
        principal, kid = self._verify(token)
        self._verified[token] = (principal, kid)
        if len(self._verified) > CACHE_SIZE:  # bounded: a cache, not a session store
            self._verified.popitem(last=False)
        return principal

    @property
    def cached(self) -> int:
        """How many verified tokens this process keeps."""
        return len(self._verified)

    def _verify(self, token: str) -> tuple[Principal, str]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthenticated("登录凭证无效，请重新登录") from exc
        if kid is None:  # issued before tokens named their key: any key we know may verify it
            candidates = list(self._keys.by_id.items())
        elif isinstance(kid, str) and kid in self._keys.by_id:
            candidates = [(kid, self._keys.by_id[kid])]
        else:
            raise Unauthenticated("登录凭证的密钥已停用，请重新登录")
        claims, verified_by = self._decode(token, candidates)
        jti = claims.get("jti")
        principal = Principal(
            id=str(claims["sub"]),
            role=str(claims.get("role", "")),
            department=claims.get("dept"),
            name=claims.get("name"),
            token_id=str(jti) if jti else None,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
        return principal, verified_by

    @staticmethod
    def _decode(token: str, keys: list[tuple[str, str]]) -> tuple[dict[str, Any], str]:
        for kid, key in keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token, key, algorithms=["HS256"], options={"require": ["exp", "sub"]}
                )
            except jwt.InvalidSignatureError:
                continue  # (only a token without a kid has more than one key to try)
            except jwt.ExpiredSignatureError as exc:
                raise Unauthenticated("登录已过期，请重新登录") from exc
            except jwt.PyJWTError as exc:
                raise Unauthenticated("登录凭证无效，请重新登录") from exc
            return claims, kid
        raise Unauthenticated("登录凭证无效，请重新登录")
