"""E-certificates and identities in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from backend.http.dto import Body, Dto

__all__ = [
    "CaseCertificate",
    "CertificateDetail",
    "CertificateSummary",
    "CertificateUse",
    "DeclareIdentity",
    "IdentityView",
    "Verification",
]


class CertificateSummary(Dto, frozen=True):
    """One certificate a citizen holds (``GET /api/v1/me/certificates``)."""

    id: str
    type_code: str
    type_name: str
    number: str
    issuer: str
    issued_on: date
    status: Literal["valid", "expired", "revoked"]
    source: Literal["onewindow", "platform"]
    valid_until: date | None = None

    @classmethod
    def of(cls, row: Any, status: str) -> CertificateSummary:
        """From a ``certificate_view`` row and its status today."""
        return cls(**_summary(row, status))


class CertificateDetail(Dto, frozen=True):
    """One certificate, with its document (``GET /api/v1/me/certificates/{id}``)."""

    id: str
    type_code: str
    type_name: str
    number: str
    issuer: str
    issuer_code: str
    issued_on: date
    valid_from: date
    status: Literal["valid", "expired", "revoked"]
    source: Literal["onewindow", "platform"]
    uses: int
    valid_until: date | None = None
    status_reason: str | None = None
    file_id: str | None = None
    sha256: str | None = None
    application_id: str | None = None

    @classmethod
    def of(cls, row: Any, status: str, uses: int) -> CertificateDetail:
        """From a ``certificate_view`` row, its status today and how often it was used."""
        return cls(
            **_summary(row, status),
            issuer_code=row["issuer_code"],
            valid_from=row["valid_from"],
            uses=uses,
            status_reason=row["status_reason"] if status != "valid" else None,
            file_id=_text(row["file_id"]),
            sha256=row["sha256"],
            application_id=_text(row["application_id"]),
        )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _summary(row: Any, status: str) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "type_code": row["type_code"],
        "type_name": row["type_name"],
        "number": row["number"],
        "issuer": row["issuer"],
        "issued_on": row["issued_on"],
        "status": status,
        "source": row["source"],
        "valid_until": row["valid_until"],
    }


class CertificateUse(Dto, frozen=True):
    """One use of a certificate, as its holder sees it."""

    at: datetime
    application_id: str
    application_number: str
    department: str
    purpose: str
    by_agent: bool = False  # an agent used it for the holder (代办)


class Verification(Dto, frozen=True):
    """A certificate checked again now: where, when and what it said."""

    checked_at: datetime
    by: Literal["onewindow", "platform"]
    result: Literal["valid", "expired", "revoked", "unknown", "unavailable"]
    detail: str = ""


class CaseCertificate(Dto, frozen=True):
    """A certificate standing for a material of a case, as reviewers see it."""

    material_id: str
    material_name: str
    certificate_id: str
    type_code: str
    type_name: str
    number: str
    issuer: str
    issued_on: date
    valid_from: date
    status: Literal["valid", "expired", "revoked"]
    source: Literal["onewindow", "platform"]
    verification: Verification
    valid_until: date | None = None
    status_reason: str | None = None
    holder_is_applicant: bool = True


class DeclareIdentity(Body, frozen=True):
    """实名信息: who the citizen is, for the e-certificate platform."""

    name: str
    id_number: str


class IdentityView(Dto, frozen=True):
    """The declared identity, the ID number masked."""

    name: str
    id_number: str  # 110101********1234
    declared_at: datetime
