"""Certificates named by a submission or a supplement: loaded, checked again at their source,
and (by the command, in its transaction) marked as used.

The public face of certificates for the applications feature."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from backend.certificates.platform import reverify
from domain.certificates import Certificate
from domain.certificates.rules import parse_certificate_id
from domain.errors import NotFound

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from backend.services import Services
    from domain.application import MaterialRef

__all__ = ["load_certificates", "named_certificates"]

_UNAVAILABLE = "证照平台暂时无法核验该电子证照，请稍后再试或上传材料"
_UNKNOWN = "证照平台查无此电子证照，请上传材料"


def _named(refs: Iterable[MaterialRef]) -> list[tuple[int, UUID]]:
    found = []
    for index, ref in enumerate(refs):
        key = parse_certificate_id(ref.certificate_id) if ref.certificate_id else None
        if key is not None:
            found.append((index, key))
    return found


async def load_certificates(
    services: Services, refs: Iterable[MaterialRef]
) -> dict[UUID, Certificate]:
    """The certificates the refs name, by id (unknown ids are left out: the rule then finds
    "no such e-certificate of yours", the same answer as for someone else's)."""
    found: dict[UUID, Certificate] = {}
    for _, key in _named(refs):
        if key not in found:
            try:
                found[key] = await services.repository.get(Certificate, key)
            except NotFound:
                continue
    return found


async def named_certificates(
    services: Services,
    refs: tuple[MaterialRef, ...],
    *,
    holder_id: UUID,
    at: datetime,
    field: str = "materials",
) -> tuple[dict[UUID, Certificate], dict[str, str]]:
    """The certificates the refs name, the platform's ones of ``holder_id`` checked again there
    first (re-verified at use); and field errors for those the platform cannot confirm now.
    A revocation the platform reports is recorded, and shows in the certificates returned."""
    certificates = await load_certificates(services, refs)
    errors: dict[str, str] = {}
    checked: dict[UUID, str] = {}
    for index, key in _named(refs):
        certificate = certificates.get(key)
        if certificate is None or certificate.holder_id != holder_id:
            continue
        if certificate.source != "platform" or certificate.status != "valid":
            continue
        if key not in checked:
            checked[key] = (await reverify(services, certificate, at)).result
        result = checked[key]
        if result == "unavailable":
            errors[f"{field}[{index}].certificateId"] = _UNAVAILABLE
        elif result == "unknown":
            errors[f"{field}[{index}].certificateId"] = _UNKNOWN
    if any(result == "revoked" for result in checked.values()):
        certificates = await load_certificates(services, refs)  # with the revocation recorded
    return certificates, errors
