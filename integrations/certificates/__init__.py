"""The e-certificate platform (电子证照平台): a Protocol, our httpx adapter and a fake."""

from integrations.certificates.base import (
    CertificatePlatform,
    ForgedAnswer,
    PlatformCertificate,
    PlatformError,
    PlatformRefused,
    PlatformStatus,
    PlatformUnavailable,
)
from integrations.certificates.fake_platform import FakeCertificatePlatform
from integrations.certificates.pdf import certificate_pdf
from integrations.certificates.platform import HttpCertificatePlatform

__all__ = [
    "CertificatePlatform",
    "FakeCertificatePlatform",
    "ForgedAnswer",
    "HttpCertificatePlatform",
    "PlatformCertificate",
    "PlatformError",
    "PlatformRefused",
    "PlatformStatus",
    "PlatformUnavailable",
    "certificate_pdf",
]
