"""Issuing a result that is an e-certificate: the certificate and its PDF, saved with the
result (出证即发照).

The public face of certificates for the back office (``issue_result``)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from backend.certificates.identity import identity_of, masked
from backend.files.documents import OwnedDocument, store_document
from domain import policies
from domain.certificates import Certificate, certificate_id
from domain.errors import NotFound
from integrations.certificates import certificate_pdf

if TYPE_CHECKING:
    from datetime import datetime

    from backend.services import Services
    from domain.application import Application
    from domain.certificates.terms import CertificateTerms

__all__ = ["document_lines", "result_certificate"]


def document_lines(
    terms: CertificateTerms, application: Application, holder: str | None, id_number: str | None
) -> list[tuple[str, str]]:
    """What the certificate's PDF says, line by line (the ID number masked)."""
    until = terms.valid_until.isoformat() if terms.valid_until else "长期"
    return [
        ("证照编号", terms.number),
        ("证照类型代码", terms.type_code),
        ("持证人", holder or "（未实名登记）"),
        ("证件号码", masked(id_number) if id_number else "（未实名登记）"),
        ("发证机关", f"{terms.issuer}（{terms.issuer_code or '代码未登记'}）"),
        ("发证日期", terms.issued_on.isoformat()),
        ("有效期", f"{terms.valid_from.isoformat()} 至 {until}"),
        ("办理事项", application.service.name),
        ("办件编号", application.number),
        ("说明", "一网通办出具的电子证照（演示），以证照库记录为准"),
    ]


async def result_certificate(
    services: Services, application: Application, at: datetime
) -> tuple[Certificate, OwnedDocument] | None:
    """The e-certificate ``application``'s just-issued result becomes, with its PDF stored for
    the applicant (its ``files`` row goes in with the events); None when the item issues none
    or the certificate exists already (the result was issued before)."""
    terms = policies.result_certificate_terms(application, at)
    if terms is None:
        return None
    try:
        key = certificate_id("onewindow", terms.type_code, str(application.id))
        await services.repository.get(Certificate, key)
    except NotFound:
        pass
    else:
        return None
    identity = await identity_of(services, application.citizen_id)
    name = identity.name if identity else None
    id_number = identity.id_number if identity else None
    lines = document_lines(terms, application, name, id_number)
    pdf = await asyncio.to_thread(certificate_pdf, terms.type_name, lines)
    document = await store_document(services, application.citizen_id, pdf)
    certificate = policies.result_certificate(
        application,
        terms,
        holder_name=name,
        holder_id_number=id_number,
        file_id=document.file_id,
        sha256=document.stored.sha256,
        at=at,
    )
    return certificate, document
