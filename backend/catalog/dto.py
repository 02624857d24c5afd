"""The catalogue as the API returns it (camelCase JSON)."""

from __future__ import annotations

from uuid import UUID

from backend.http.dto import Dto
from domain.catalog import CertificateIssue, Material, ServiceDefinition

__all__ = ["GuideCertificate", "GuideMaterial", "GuideSituation", "ServiceGuide", "ServiceSummary"]


class ServiceSummary(Dto, frozen=True):
    code: str
    name: str
    department: str
    kind: str
    promised_days: int
    legal_days: int
    fee: int
    online: bool
    max_visits: int


class GuideMaterial(Dto, frozen=True, omit_defaults=True):
    """A material of a situation; ``satisfiedBy``: the caller's certificate that stands for it
    (免提交), shown only to a logged-in citizen who holds a valid one."""

    id: str
    name: str
    required: bool
    deferrable: bool
    certificate_types: tuple[str, ...]
    description: str
    certificate_type: str | None = None  # the first of certificateTypes, for older clients
    satisfied_by: str | None = None

    @classmethod
    def of(cls, material: Material, satisfied_by: UUID | None = None) -> GuideMaterial:
        """From the catalogue's material, and the certificate that satisfies it, if any."""
        return cls(
            id=material.id,
            name=material.name,
            required=material.required,
            deferrable=material.deferrable,
            certificate_types=material.certificate_types,
            description=material.description,
            certificate_type=material.certificate_type,
            satisfied_by=str(satisfied_by) if satisfied_by is not None else None,
        )


class GuideSituation(Dto, frozen=True):
    id: str
    name: str
    materials: tuple[GuideMaterial, ...]


class GuideCertificate(Dto, frozen=True):
    """The e-certificate the item's result becomes (``issuesCertificate``)."""

    type_code: str
    type_name: str
    validity_years: int | None = None

    @classmethod
    def of(cls, issue: CertificateIssue) -> GuideCertificate:
        """From the item's declaration."""
        return cls(issue.type_code, issue.type_name, issue.validity_years)


class ServiceGuide(ServiceSummary, frozen=True):
    situations: tuple[GuideSituation, ...]
    stages: tuple[tuple[str, ...], ...]
    delivery_options: tuple[str, ...]
    needs_appointment: bool
    description: str = ""
    pickup_place: str = ""
    issues_certificate: GuideCertificate | None = None

    @classmethod
    def of(
        cls,
        definition: ServiceDefinition,
        satisfied: dict[tuple[str, str], UUID] | None = None,
    ) -> ServiceGuide:
        """The guide of an item; ``satisfied``: (situation, material) -> certificate id."""
        found = satisfied or {}
        return cls(
            code=definition.code,
            name=definition.name,
            department=definition.department,
            kind=definition.kind,
            promised_days=definition.promised_days,
            legal_days=definition.legal_days,
            fee=definition.fee,
            online=definition.online,
            max_visits=definition.max_visits,
            situations=tuple(
                GuideSituation(
                    id=s.id,
                    name=s.name,
                    materials=tuple(
                        GuideMaterial.of(m, found.get((s.id, m.id))) for m in s.materials
                    ),
                )
                for s in definition.situations
            ),
            stages=definition.stages,
            delivery_options=definition.delivery_options,
            needs_appointment=definition.needs_appointment,
            description=definition.description,
            pickup_place=definition.pickup_place,
            issues_certificate=GuideCertificate.of(definition.issues_certificate)
            if definition.issues_certificate is not None
            else None,
        )
