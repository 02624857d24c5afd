"""E-certificates (电子证照): the certificate aggregate, its type directory and its rules."""

from domain.certificates.aggregate import (
    SOURCES,
    Certificate,
    CertificateStatus,
    certificate_id,
    expiry_reason,
    problem_on,
    status_on,
)
from domain.certificates.types import CERTIFICATE_TYPES, CertificateType, code_of, type_name

__all__ = [
    "CERTIFICATE_TYPES",
    "SOURCES",
    "Certificate",
    "CertificateStatus",
    "CertificateType",
    "certificate_id",
    "code_of",
    "expiry_reason",
    "problem_on",
    "status_on",
    "type_name",
]
