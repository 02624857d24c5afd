"""The server's secret keys: the current one (signs tokens, wraps new data keys) and the ones
still (or already) accepted during a rotation (verify tokens, unwrap data keys), each known by
a key id that says nothing about the key (``docs/operations.md``, "Rotating the secret key")."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

__all__ = ["SecretKeys", "key_id"]

_KEY_ID = b"onewindow/key-id/v1"


def key_id(secret_key: str) -> str:
    """The public name of a secret key (the JWT ``kid`` header, ``citizen_keys.kek_id``):
    16 hex digits of an HMAC under the key itself."""
    return hmac.new(secret_key.encode("utf-8"), _KEY_ID, hashlib.sha256).hexdigest()[:16]


class SecretKeys:
    """The current key and the accepted ones, by key id (the current one first)."""

    def __init__(self, current: str, accepted: Iterable[str] = ()) -> None:
        self.current = current
        self.current_id = key_id(current)
        self.by_id: dict[str, str] = {self.current_id: current}
        for key in accepted:
            self.by_id.setdefault(key_id(key), key)

    def __repr__(self) -> str:  # never the keys themselves, in a log or a traceback
        return f"SecretKeys(current={self.current_id}, known={sorted(self.by_id)})"

    @property
    def accepted_ids(self) -> list[str]:
        """The ids of the keys that are accepted but not current."""
        return [kid for kid in self.by_id if kid != self.current_id]
