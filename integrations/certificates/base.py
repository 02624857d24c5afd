"""What we need from the e-certificate platform (电子证照平台), whoever runs it: a holder's
certificates of a type, and whether a certificate is still valid."""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

__all__ = [
    "CertificatePlatform",
    "ForgedAnswer",
    "PlatformCertificate",
    "PlatformError",
    "PlatformRefused",
    "PlatformStatus",
    "PlatformUnavailable",
]

Status = Literal["valid", "expired", "revoked", "unknown"]


class PlatformCertificate(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    """A certificate record as the platform answers it (dates ISO ``YYYY-MM-DD``)."""

    number: str
    type_code: str
    type_name: str
    holder_name: str
    holder_id_number: str
    issuer: str
    issuer_code: str
    issued_on: str
    valid_from: str
    valid_until: str | None = None
    status: Status = "valid"
    status_reason: str | None = None
    file: bytes | None = None  # the PDF (base64 in JSON)
    sha256: str | None = None


class PlatformStatus(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    """The platform's word on one certificate now."""

    number: str
    status: Status
    status_reason: str | None = None
    checked_at: str


class PlatformError(Exception):
    """Base of the adapter's errors."""


class PlatformUnavailable(PlatformError):
    """Could not reach the platform, it timed out or it is down: try again later."""


class PlatformRefused(PlatformError):
    """The platform answered and said no (our signature, our app id, a bad request)."""


class ForgedAnswer(PlatformError):
    """An answer whose signature does not hold, that is stale, replayed, or not the answer to
    our request: never believed."""


class CertificatePlatform(Protocol):
    """The provincial or national e-certificate platform."""

    async def fetch(self, holder_id_number: str, type_code: str) -> list[PlatformCertificate]:
        """The holder's certificates of ``type_code`` (empty: none)."""
        ...

    async def verify(self, number: str) -> PlatformStatus:
        """Whether the certificate numbered ``number`` is valid now."""
        ...
