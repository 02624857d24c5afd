"""Value objects of an application: delivery, materials, and the pinned part of the service."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from uuid import UUID

import msgspec

from domain.catalog import CertificateIssue, accepted_types
from domain.errors import ValidationFailed

__all__ = [
    "MAX_PAGES",
    "Address",
    "Delivery",
    "MaterialRef",
    "PinnedMaterial",
    "ServiceSnapshot",
    "check_text",
    "material_files",
]

PHONE = re.compile(r"1\d{10}")


def check_text(**fields: str) -> None:
    """Refuse free text with U+0000: PostgreSQL text and jsonb cannot hold it, so every read
    model that shows the text would stop at the event (field name -> text)."""
    errors = {name: "不能含有空字符（NUL）" for name, v in fields.items() if "\x00" in v}
    if errors:
        raise ValidationFailed("文字中含有空字符（NUL）", errors)


def material_files(record: Mapping[str, Any]) -> list[str]:
    """The file ids of a material as events keep it (``fileId``, and ``fileIds`` since
    several pages are allowed), in page order."""
    first = record.get("fileId")
    return ([str(first)] if first else []) + [str(f) for f in record.get("fileIds") or ()]


class _Camel(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    pass


class Address(_Camel, frozen=True):
    """Where a courier brings the result."""

    name: str
    phone: str
    province: str
    city: str
    district: str
    detail: str


class Delivery(_Camel, frozen=True):
    """How the citizen gets the result."""

    method: Literal["pickup", "courier"]
    address: Address | None = None


MAX_PAGES = 20  # files of one material (a multi-page document scanned page by page)


class MaterialRef(_Camel, frozen=True):
    """A material handed in: uploaded files (``fileId``, or ``fileIds`` for a document of
    several pages, in page order) or an e-certificate the citizen holds."""

    material_id: str
    file_id: UUID | None = None
    certificate_id: str | None = None
    file_ids: tuple[UUID, ...] = ()

    @property
    def files(self) -> tuple[UUID, ...]:
        """Every uploaded file of this material, in page order."""
        return ((self.file_id,) if self.file_id is not None else ()) + self.file_ids


class PinnedMaterial(_Camel, frozen=True):
    """A material of the chosen situation, as it was when the application was submitted."""

    id: str
    name: str
    required: bool = True
    deferrable: bool = False
    certificate_types: tuple[str, ...] = ()
    certificate_type: str | None = None  # pinned before certificateTypes: a code or a name

    def __post_init__(self) -> None:
        types = accepted_types(self.certificate_types, self.certificate_type)
        msgspec.structs.force_setattr(self, "certificate_types", types)
        msgspec.structs.force_setattr(self, "certificate_type", types[0] if types else None)

    def satisfied_by(self, type_code: str) -> bool:
        """Whether an e-certificate of this type stands for the material."""
        return type_code in self.certificate_types


class ServiceSnapshot(_Camel, frozen=True):
    """The part of the service item an application pins at submission."""

    code: str
    version: int
    name: str
    department: str
    stages: tuple[tuple[str, ...], ...]
    fee: int
    promised_days: int
    legal_days: int
    pickup_place: str = ""
    online: bool = True
    needs_appointment: bool = False
    materials: tuple[PinnedMaterial, ...] = ()
    issues_certificate: CertificateIssue | None = None  # the result becomes an e-certificate

    def material(self, material_id: str) -> PinnedMaterial | None:
        """The pinned material with this id, if the situation has it."""
        return next((m for m in self.materials if m.id == material_id), None)
