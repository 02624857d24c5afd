"""The e-certificate platform's HTTP API, as this adapter speaks it (and the fake answers it).

``POST {base}/v1/certificates/query`` with ``{"holderIdNumber", "typeCode"}`` answers
``{"code": "0", "message", "requestNonce", "data": {"certificates": [...]}}``;
``POST {base}/v1/certificates/verify`` with ``{"number"}`` answers ``data: {"number",
"status", "statusReason", "checkedAt"}``. Requests carry ``X-App-Id`` and are signed, and so
are answers (``signing``): an answer that is not signed by the platform's key, is stale,
replayed, or echoes another request's nonce is refused (``ForgedAnswer``), never believed.
Non-zero ``code``: the platform refused (``PlatformRefused``); 5xx, timeouts and connection
errors: ``PlatformUnavailable``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import msgspec

from integrations.certificates.base import (
    ForgedAnswer,
    PlatformCertificate,
    PlatformRefused,
    PlatformStatus,
    PlatformUnavailable,
)
from integrations.certificates.signing import (
    NONCE,
    REPLAY_WINDOW_SECONDS,
    BadSignature,
    NonceCache,
    signed_headers,
)

__all__ = ["APP_ID", "QUERY", "VERIFY", "HttpCertificatePlatform"]

QUERY, VERIFY = "/v1/certificates/query", "/v1/certificates/verify"
APP_ID = "X-App-Id"


class _Certificates(msgspec.Struct, frozen=True):
    certificates: list[PlatformCertificate]


class HttpCertificatePlatform:
    """Our ``CertificatePlatform`` over an httpx client of ours."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        app_id: str,
        key: bytes,
        replay_window_seconds: int = REPLAY_WINDOW_SECONDS,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._app_id = app_id
        self._key = key
        self._now = now
        self._answers = NonceCache(key, replay_window_seconds, now)

    async def fetch(self, holder_id_number: str, type_code: str) -> list[PlatformCertificate]:
        """The holder's certificates of ``type_code``."""
        data = await self._call(QUERY, {"holderIdNumber": holder_id_number, "typeCode": type_code})
        try:
            found = msgspec.convert(data, _Certificates).certificates
        except msgspec.ValidationError as exc:
            raise PlatformRefused(f"unreadable certificates: {exc}") from None
        # the platform answers for the holder asked about; anything else is not theirs
        return [c for c in found if c.holder_id_number == holder_id_number]

    async def verify(self, number: str) -> PlatformStatus:
        """The platform's word on one certificate now."""
        data = await self._call(VERIFY, {"number": number})
        try:
            status = msgspec.convert(data, PlatformStatus)
        except msgspec.ValidationError as exc:
            raise PlatformRefused(f"unreadable status: {exc}") from None
        if status.number != number:
            raise ForgedAnswer("the answer is about another certificate")
        return status

    async def _call(self, path: str, payload: dict[str, str]) -> Any:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            APP_ID: self._app_id,
            **signed_headers(self._key, body, self._now()),
        }
        try:
            response = await self._client.post(self._base + path, content=body, headers=headers)
        except httpx.HTTPError as exc:  # connect, read timeouts, protocol errors
            raise PlatformUnavailable(f"{type(exc).__name__}: {exc}") from None
        if response.status_code >= 500:
            raise PlatformUnavailable(f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise PlatformRefused(f"HTTP {response.status_code}: {response.text[:200]}")
        raw = response.content
        try:
            self._answers.check(response.headers, raw)
        except BadSignature as exc:
            raise ForgedAnswer(str(exc)) from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise ForgedAnswer("a signed answer that is not JSON") from None
        if not isinstance(answer, dict) or answer.get("requestNonce") != headers[NONCE]:
            raise ForgedAnswer("the answer is not the answer to this request")
        if answer.get("code") != "0":
            raise PlatformRefused(f"{answer.get('code')}: {answer.get('message')}")
        return answer.get("data")
