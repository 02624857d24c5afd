"""Reads of certificates: a citizen's own (list, one, its uses), and those a case uses, checked
again now, for the staff who review it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from backend.certificates.dto import (
    CaseCertificate,
    CertificateDetail,
    CertificateSummary,
    CertificateUse,
)
from backend.certificates.platform import reverify
from backend.read_side import read_model
from domain.application import Application
from domain.certificates import Certificate, status_on
from domain.certificates.rules import parse_certificate_id
from domain.errors import NotFound

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.db.reader import Queries
    from backend.services import Services

__all__ = ["CERTIFICATES", "case_certificates", "get_mine", "list_mine", "uses_of"]

CERTIFICATES = "certificates"  # the read model these queries read
_COLUMNS = (
    "id, type_code, type_name, number, issuer, issuer_code, issued_on, valid_from, valid_until,"
    " status, status_reason, source, file_id, sha256, application_id"
)


def _status(row: Any, today: date) -> str:
    until = row["valid_until"].isoformat() if row["valid_until"] else None
    return status_on(row["status"], until, today)


async def list_mine(
    services: Services, citizen: Principal, after: int | None = None
) -> list[CertificateSummary]:
    """My certificates, newest first, each with its status today."""
    db = await read_model(services, CERTIFICATES, after)
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM certificate_view WHERE holder_id = $1"  # noqa: S608
        " ORDER BY issued_on DESC, type_name LIMIT 500",
        UUID(citizen.id),
    )
    today = services.clock().date()
    return [CertificateSummary.of(r, _status(r, today)) for r in rows]


async def _mine(db: Queries, citizen: Principal, certificate_id: UUID) -> Any:
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM certificate_view WHERE id = $1 AND holder_id = $2",  # noqa: S608
        certificate_id,
        UUID(citizen.id),
    )
    if row is None:
        raise NotFound("电子证照不存在")
    return row


async def get_mine(
    services: Services, citizen: Principal, certificate_id: UUID, after: int | None = None
) -> CertificateDetail:
    """One of my certificates (404 for anyone else's), with its document's file id."""
    db = await read_model(services, CERTIFICATES, after)
    row = await _mine(db, citizen, certificate_id)
    uses = await db.fetchval(
        "SELECT count(*) FROM certificate_use_view WHERE certificate_id = $1", certificate_id
    )
    return CertificateDetail.of(row, _status(row, services.clock().date()), int(uses))


async def uses_of(
    services: Services, citizen: Principal, certificate_id: UUID, after: int | None = None
) -> list[CertificateUse]:
    """Every use of my certificate, newest first (its holder's only)."""
    db = await read_model(services, CERTIFICATES, after)
    await _mine(db, citizen, certificate_id)
    rows = await db.fetch(
        "SELECT at, application_id, application_number, department, purpose, by_agent"
        " FROM certificate_use_view WHERE certificate_id = $1 ORDER BY at DESC, version DESC",
        certificate_id,
    )
    return [
        CertificateUse(
            at=r["at"],
            application_id=str(r["application_id"]),
            application_number=r["application_number"],
            department=r["department"],
            purpose=r["purpose"],
            by_agent=r["by_agent"],
        )
        for r in rows
    ]


async def case_certificates(
    services: Services, staff: Principal, application_id: UUID
) -> list[CaseCertificate]:
    """The certificates standing for the case's materials now, each verified again at its
    source (a revocation the platform reports meanwhile is recorded: the case then shows as
    stuck, reason ``certificate_invalid``). 404 for staff who may not see the case."""
    application = await services.repository.get(Application, application_id)
    application.ensure_visible_to(staff.actor())
    now = services.clock()
    service = application.service
    found = []
    for material in application.materials:
        key = parse_certificate_id(material.get("certificateId") or "")
        if key is None:
            continue
        try:
            certificate = await services.repository.get(Certificate, key)
        except NotFound:
            continue
        verification = await reverify(services, certificate, now)
        if verification.result == "revoked" and certificate.status != "revoked":
            certificate = await services.repository.get(Certificate, key)
        pinned = service.material(material["materialId"])
        found.append(
            CaseCertificate(
                material_id=material["materialId"],
                material_name=pinned.name if pinned else material["materialId"],
                certificate_id=str(certificate.id),
                type_code=certificate.type_code,
                type_name=certificate.type_name,
                number=certificate.number,
                issuer=certificate.issuer,
                issued_on=date.fromisoformat(certificate.issued_on),
                valid_from=date.fromisoformat(certificate.valid_from),
                valid_until=date.fromisoformat(certificate.valid_until)
                if certificate.valid_until
                else None,
                status=certificate.status_on(now.date()),
                status_reason=certificate.status_reason,
                source="platform" if certificate.source == "platform" else "onewindow",
                verification=verification,
                holder_is_applicant=certificate.holder_id == application.citizen_id,
            )
        )
    return found
