"""Per-citizen data keys (crypto-shredding): kept wrapped in PostgreSQL, cached in memory.

Each citizen has one random 256-bit AES-GCM data key in ``citizen_keys``, stored wrapped (AES-GCM)
under a key-encryption key derived with HKDF from the configured secret key: a dump of the
database alone reveals no personal data. Each row names the secret key it is wrapped under
(``kek_id``, see ``backend.secret_keys``): new keys are wrapped under the current secret key;
rows under a key still accepted during a rotation are read until ``onewindow keys rotate``
re-wraps them (``backend.eventstore.key_rotation``). Forgetting a citizen deletes the wrapped
key and keeps a tombstone row, whose version makes any later key a new one; what was encrypted
under the deleted key then reads as erased, everywhere at once, without rewriting a single event.

Mapping events is synchronous, so keys must be in memory when an event is encoded or decoded:
the transcoding asks the ``KeyRing`` and raises ``KeyNeeded`` when a key is not there; the async
caller (``backend.eventstore.mapper.encode_all`` / ``decode_all``) loads or creates the key and
tries again. Keys are cached for a bounded time (``ttl_seconds``), which is also how long another
process may still read a citizen after the key was deleted here.
"""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.secret_keys import SecretKeys

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    Executor = asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool

__all__ = ["KeyNeeded", "KeyRing", "KeyUnavailable"]

_log = logging.getLogger(__name__)

_NONCE = 12
_WRAP_AAD = b"onewindow/citizen-key/v1:"
_KEK_INFO = b"onewindow citizen data keys: key-encryption key v1"
_KEK_SALT = b"onewindow/citizen_keys"


class KeyNeeded(Exception):
    """A citizen's key is not in memory: load it (``version``: the one an envelope names) or,
    when encoding (``version`` None), create it; then map the event again."""

    def __init__(self, owner: UUID, version: int | None = None) -> None:
        super().__init__(f"the data key of citizen {owner} is not loaded")
        self.owner = owner
        self.version = version


class KeyUnavailable(RuntimeError):
    """A wrapped key cannot be unwrapped (another secret key) or there is no secret key."""


@dataclass(frozen=True, slots=True)
class _Entry:
    version: int  # the citizen's current key version; 0 when there has never been a key
    key: AESGCM | None  # None: erased (or never created)
    expires: float


def key_encryption_key(secret_key: str) -> bytes:
    """The key-encryption key: HKDF-SHA256 of the configured secret key, for this use only."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_KEK_SALT, info=_KEK_INFO)
    return hkdf.derive(secret_key.encode("utf-8"))


def _wrap_aad(owner: UUID, version: int) -> bytes:
    return _WRAP_AAD + owner.bytes + version.to_bytes(4, "big")


class KeyRing:
    """The data keys of citizens, wrapped in ``citizen_keys`` and cached here (LRU, TTL)."""

    def __init__(
        self,
        secret_key: str | SecretKeys | None,
        *,
        max_keys: int = 20_000,
        ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        keys = SecretKeys(secret_key) if isinstance(secret_key, str) else secret_key
        # key-encryption keys by the id of the secret key they come from, the current one first
        self._keks = {
            kid: AESGCM(key_encryption_key(key))
            for kid, key in (keys.by_id.items() if keys is not None else ())
        }
        self.current_kek_id = keys.current_id if keys is not None else None
        self.max_keys = max_keys
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._cache: OrderedDict[UUID, _Entry] = OrderedDict()

    # --- synchronous: used by the transcoding while events are mapped --------------------------

    def encryption_key(self, owner: UUID) -> tuple[int, AESGCM]:
        """The owner's current key and its version; ``KeyNeeded`` when it must be loaded or made."""
        entry = self._entry(owner)
        if entry is None or entry.key is None:
            raise KeyNeeded(owner)
        return entry.version, entry.key

    def has(self, owner: UUID) -> bool:
        """Whether a live key of the owner is in memory (so sealing needs no database)."""
        entry = self._entry(owner)
        return entry is not None and entry.key is not None

    def decryption_key(self, owner: UUID, version: int) -> AESGCM | None:
        """The key an envelope was sealed with; None when it has been deleted (erased)."""
        entry = self._entry(owner)
        if entry is None or entry.version < version:
            raise KeyNeeded(owner, version)
        if entry.version > version:  # superseded keys exist only after a deletion
            return None
        return entry.key

    def _entry(self, owner: UUID) -> _Entry | None:
        entry = self._cache.get(owner)
        if entry is None:
            return None
        if entry.expires <= self._clock():
            del self._cache[owner]
            return None
        self._cache.move_to_end(owner)
        return entry

    def _remember(self, owner: UUID, version: int, key: AESGCM | None) -> None:
        self._cache[owner] = _Entry(version, key, self._clock() + self.ttl_seconds)
        self._cache.move_to_end(owner)
        while len(self._cache) > self.max_keys:
            self._cache.popitem(last=False)

    def forget_cached(self, owner: UUID) -> None:
        """Drop the owner's key from memory (it is read again from the table when needed)."""
        self._cache.pop(owner, None)

    # --- asynchronous: the table ------------------------------------------------------------

    async def load(self, db: Executor, needed: Mapping[UUID, int | None]) -> None:
        """Read the keys of these owners into memory (``needed``: owner -> envelope version)."""
        rows = await db.fetch(
            "SELECT citizen_id, version, wrapped_key, kek_id FROM citizen_keys"
            " WHERE citizen_id = ANY($1::uuid[])",
            list(needed),
        )
        found = {r["citizen_id"]: r for r in rows}
        for owner, wanted in needed.items():
            row = found.get(owner)
            version = row["version"] if row is not None else 0
            wrapped = row["wrapped_key"] if row is not None else None
            kek_id = row["kek_id"] if row is not None else None
            if wanted is not None and wanted > version:
                # versions only grow: an envelope newer than the table means the row was lost
                _log.warning(
                    "citizen %s: data sealed with key version %d, the table has %d;"
                    " reading it as erased",
                    owner,
                    wanted,
                    version,
                )
                version, wrapped = wanted, None
            key = None if wrapped is None else self._unwrap(owner, version, bytes(wrapped), kek_id)
            self._remember(owner, version, key)

    async def ensure(self, pool: asyncpg.Pool, owners: Iterable[UUID]) -> None:
        """Load the owners' keys, creating those that do not exist (or were erased) first.

        Keys are created on a connection of their own and committed at once, before any event
        sealed with them can be written, so no event ever refers to a key that was rolled back.
        Two processes creating the same citizen's key agree on the one that reached the table.
        """
        wanted = list(dict.fromkeys(owners))
        kek = self._require_kek()
        async with pool.acquire() as conn:
            for _ in range(5):
                rows = await conn.fetch(
                    "SELECT citizen_id, version, wrapped_key, kek_id FROM citizen_keys"
                    " WHERE citizen_id = ANY($1::uuid[])",
                    wanted,
                )
                found = {r["citizen_id"]: r for r in rows}
                make = [
                    (owner, found[owner]["version"] + 1 if owner in found else 1)
                    for owner in wanted
                    if owner not in found or found[owner]["wrapped_key"] is None
                ]
                if not make:
                    for owner in wanted:
                        row = found[owner]
                        key = self._unwrap(
                            owner, row["version"], bytes(row["wrapped_key"]), row["kek_id"]
                        )
                        self._remember(owner, row["version"], key)
                    return
                # a new key, or the next version after an erasure; a concurrent creator wins
                await conn.executemany(
                    "INSERT INTO citizen_keys AS k (citizen_id, version, wrapped_key, kek_id)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (citizen_id) DO UPDATE"
                    " SET version = excluded.version, wrapped_key = excluded.wrapped_key,"
                    " kek_id = excluded.kek_id, created_at = now()"
                    " WHERE k.wrapped_key IS NULL AND k.version = excluded.version - 1",
                    [
                        (owner, version, self._wrap(kek, owner, version), self.current_kek_id)
                        for owner, version in make
                    ],
                )
        msg = "the citizen keys kept changing while being created"
        raise RuntimeError(msg)

    async def forget(self, db: Executor, owner: UUID, *, by: str) -> bool:
        """Delete the owner's key (crypto-shredding); False when there was none to delete."""
        version = await db.fetchval(
            "UPDATE citizen_keys SET wrapped_key = NULL, erased_at = now(), erased_by = $2"
            " WHERE citizen_id = $1 AND wrapped_key IS NOT NULL RETURNING version",
            owner,
            by,
        )
        self.forget_cached(owner)
        return version is not None

    # --- wrapping ----------------------------------------------------------------------------

    def _require_kek(self) -> AESGCM:
        if self.current_kek_id is None:
            msg = "no secret key is configured: personal data can be neither sealed nor read"
            raise KeyUnavailable(msg)
        return self._keks[self.current_kek_id]

    def rewrapped(self, owner: UUID, version: int, wrapped: bytes, kek_id: str | None) -> bytes:
        """The same data key, wrapped under the current secret key instead of ``kek_id``'s."""
        data_key = self._unwrapped(owner, version, wrapped, kek_id)
        nonce = os.urandom(_NONCE)
        kek = self._require_kek()
        return nonce + kek.encrypt(nonce, data_key, _wrap_aad(owner, version))

    @staticmethod
    def _wrap(kek: AESGCM, owner: UUID, version: int) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + kek.encrypt(nonce, AESGCM.generate_key(256), _wrap_aad(owner, version))

    def _unwrap(self, owner: UUID, version: int, wrapped: bytes, kek_id: str | None) -> AESGCM:
        return AESGCM(self._unwrapped(owner, version, wrapped, kek_id))

    def _unwrapped(self, owner: UUID, version: int, wrapped: bytes, kek_id: str | None) -> bytes:
        self._require_kek()
        if kek_id is None:  # wrapped before rows named their key: whichever key opens it
            keks = list(self._keks.values())
        elif kek_id in self._keks:
            keks = [self._keks[kek_id]]
        else:
            msg = (
                f"the data key of citizen {owner} is wrapped under secret key {kek_id}, which"
                " is neither ONEWINDOW_SECRET_KEY nor in ONEWINDOW_ACCEPTED_SECRET_KEYS"
            )
            raise KeyUnavailable(msg)
        aad = _wrap_aad(owner, version)
        for kek in keks:
            try:
                return kek.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], aad)
            except InvalidTag:
                continue
        msg = (
            f"the data key of citizen {owner} cannot be unwrapped: the configured secret"
            " key is not the one it was wrapped with"
        )
        raise KeyUnavailable(msg)
