"""``Personal`` values in stored events: sealed with AES-GCM under the owner's data key.

The envelope, as it lies in the event's JSON (``{"_type_": "personal", "_data_": envelope}``)::

    {"owner": "<citizen id hex>", "key": <key version>, "nonce": "<b64, 12 bytes>",
     "data": "<b64: AES-GCM ciphertext and tag of the JSON value>"}

The owner is in clear (it names the key); the associated data binds the ciphertext to the owner
and the key version, so an envelope copied under another citizen's name does not open. Once the
owner's key is deleted the envelope decodes to an erased ``Personal`` (value ``None``); an erased
value (from a snapshot of an erased aggregate) is stored as ``{"owner": ..., "erased": true}``.
"""

from __future__ import annotations

import base64
import os
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import Transcoding

from backend.eventstore.keyring import KeyRing
from domain.personal import Personal

__all__ = ["PersonalAsEnvelope"]

_NONCE = 12
_AAD = b"onewindow/personal/v1:"


def _aad(owner: UUID, version: int) -> bytes:
    return _AAD + owner.bytes + version.to_bytes(4, "big")


class PersonalAsEnvelope(Transcoding):
    """Encrypts ``Personal`` values with the owner's key from ``keys`` (``KeyNeeded`` if absent)."""

    type = Personal
    name = "personal"

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    def encode(self, obj: Personal[Any]) -> dict[str, Any]:
        if obj.value is None:
            return {"owner": obj.owner.hex, "erased": True}
        version, key = self.keys.encryption_key(obj.owner)
        nonce = os.urandom(_NONCE)
        sealed = key.encrypt(nonce, msgspec.json.encode(obj.value), _aad(obj.owner, version))
        return {
            "owner": obj.owner.hex,
            "key": version,
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "data": base64.b64encode(sealed).decode("ascii"),
        }

    def decode(self, data: dict[str, Any]) -> Personal[Any]:
        owner = UUID(data["owner"])
        if data.get("erased"):
            return Personal.erased_of(owner)
        version = int(data["key"])
        key = self.keys.decryption_key(owner, version)
        if key is None:
            return Personal.erased_of(owner)
        plain = key.decrypt(
            base64.b64decode(data["nonce"]), base64.b64decode(data["data"]), _aad(owner, version)
        )
        return Personal(owner, msgspec.json.decode(plain))
