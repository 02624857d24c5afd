"""Signed messages between onewindow and the e-certificate platform, both ways.

Every request and every answer carries ``X-Timestamp`` (Unix seconds), ``X-Nonce`` (random,
once) and ``X-Signature``: hex HMAC-SHA256 under the shared key over
``timestamp + "\\n" + nonce + "\\n" + body``. A receiver refuses a message whose signature does
not hold, whose timestamp is more than the replay window (5 minutes) away from its clock, or
whose nonce it has already seen within the window; an answer also echoes the request's nonce
in its body (``requestNonce``), so an old answer cannot stand for a new question.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping

__all__ = [
    "NONCE",
    "REPLAY_WINDOW_SECONDS",
    "SIGNATURE",
    "TIMESTAMP",
    "BadSignature",
    "NonceCache",
    "sign",
    "signature",
    "signed_headers",
]

TIMESTAMP, NONCE, SIGNATURE = "X-Timestamp", "X-Nonce", "X-Signature"
REPLAY_WINDOW_SECONDS = 300


class BadSignature(ValueError):
    """A message that fails the check, with the reason in words."""


def signature(key: bytes, timestamp: str, nonce: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of a message."""
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(key: bytes, body: bytes, now: float) -> tuple[str, str, str]:
    """(timestamp, nonce, signature) of a new message."""
    timestamp, nonce = str(int(now)), secrets.token_hex(16)
    return timestamp, nonce, signature(key, timestamp, nonce, body)


def signed_headers(key: bytes, body: bytes, now: float) -> dict[str, str]:
    """The three headers of a new message."""
    timestamp, nonce, mac = sign(key, body, now)
    return {TIMESTAMP: timestamp, NONCE: nonce, SIGNATURE: mac}


class NonceCache:
    """Checks messages and remembers their nonces for the replay window (thread-safe: the fake
    platform serves each request in its own thread)."""

    def __init__(
        self,
        key: bytes,
        window_seconds: int = REPLAY_WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._window = window_seconds
        self._clock = clock
        self._seen: dict[str, float] = {}  # nonce -> until when it is remembered
        self._lock = threading.Lock()

    def check(self, headers: Mapping[str, str], body: bytes) -> str:
        """The message's nonce if it is genuine and new; ``BadSignature`` otherwise."""
        named = {k.lower(): v for k, v in headers.items()}  # header names have no case
        timestamp = named.get(TIMESTAMP.lower()) or ""
        nonce = named.get(NONCE.lower()) or ""
        given = named.get(SIGNATURE.lower()) or ""
        if not (timestamp.isdigit() and 16 <= len(nonce) <= 64 and given):
            raise BadSignature("unsigned message")
        if not hmac.compare_digest(given, signature(self._key, timestamp, nonce, body)):
            raise BadSignature("the signature does not match")
        now = self._clock()
        if abs(now - int(timestamp)) > self._window:
            raise BadSignature("the timestamp is outside the replay window")
        with self._lock:
            # a nonce is kept as long as its timestamp is inside the window: then the message
            # is refused as stale anyway
            self._seen = {n: until for n, until in self._seen.items() if until >= now}
            if nonce in self._seen:
                raise BadSignature("the nonce was seen before (a replay)")
            self._seen[nonce] = int(timestamp) + self._window
        return nonce
