"""Which certificate may stand for which material of whose application (免提交).

A certificate satisfies a material when the material lists its type, it belongs to the
application's applicant (for an agent's submission: the principal, and only when the
authorisation lets the agent use the principal's certificates), and it is valid that day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from domain.certificates.aggregate import problem_on

if TYPE_CHECKING:
    from domain.application.values import MaterialRef
    from domain.certificates.aggregate import Certificate

__all__ = ["Accepts", "Holding", "certificate_errors", "parse_certificate_id", "satisfying"]

NOT_YOURS = "no such e-certificate of yours"


class Holding(Protocol):
    """What is known of a certificate a citizen holds (a read model row, or the aggregate)."""

    @property
    def id(self) -> UUID: ...
    @property
    def type_code(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def valid_from(self) -> str: ...
    @property
    def valid_until(self) -> str | None: ...


class Accepts(Protocol):
    """A material (of the catalogue, or pinned by an application) that lists its types."""

    @property
    def name(self) -> str: ...

    def satisfied_by(self, type_code: str) -> bool: ...


def parse_certificate_id(value: str) -> UUID | None:
    """The certificate id a material names (None: not one of ours)."""
    try:
        return UUID(value)
    except ValueError:
        return None


def certificate_errors(
    refs: Iterable[MaterialRef],
    materials: Mapping[str, Accepts],
    certificates: Mapping[UUID, Certificate],
    *,
    applicant_id: UUID,
    day: date,
    may_use: bool = True,
    field: str = "materials",
) -> dict[str, str]:
    """Field errors (``materials[i].certificateId``) for refs naming a certificate that may
    not stand for their material: unknown or someone else's (one answer for both: never reveal
    another citizen's certificate), of another type, not valid on ``day``, or the agent may not
    use the principal's certificates (``may_use``). ``certificates``: those found by id."""
    errors: dict[str, str] = {}
    for index, ref in enumerate(refs):
        if ref.certificate_id is None:
            continue
        key = f"{field}[{index}].certificateId"
        material = materials.get(ref.material_id)
        found = parse_certificate_id(ref.certificate_id)
        certificate = certificates.get(found) if found is not None else None
        if certificate is None or certificate.holder_id != applicant_id:
            errors[key] = NOT_YOURS
        elif not may_use:
            errors[key] = "your authorisation does not let you use the principal's e-certificates"
        elif material is not None and not material.satisfied_by(certificate.type_code):
            errors[key] = f"a {certificate.type_name} does not stand for {material.name}"
        elif (problem := certificate.problem_on(day)) is not None:
            errors[key] = problem
    return errors


def satisfying(material: Accepts, holdings: Iterable[Holding], day: date) -> UUID | None:
    """The certificate that satisfies ``material`` on ``day`` among a citizen's holdings (the
    one valid longest: indefinite first), or None."""
    usable = [
        h
        for h in holdings
        if material.satisfied_by(h.type_code)
        and problem_on(h.status, h.valid_from, h.valid_until, day) is None
    ]
    if not usable:
        return None
    best = max(usable, key=lambda h: (h.valid_until is None, h.valid_until or "", str(h.id)))
    return best.id
