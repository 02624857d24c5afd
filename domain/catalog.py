"""The service catalogue (事项): what a citizen can apply for and what each item requires.

A ``ServiceDefinition`` is the guide of one item ("照单抓药": each situation has its own
material list). ``ServiceItem`` is the versioned aggregate: every revision is an event, and an
application pins the version it was submitted against.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec
from eventsourcing.domain import Aggregate

from domain.certificates.types import CERTIFICATE_TYPES, code_of, type_name
from domain.errors import ValidationFailed

__all__ = [
    "CertificateIssue",
    "DeliveryMethod",
    "Faq",
    "FormField",
    "LegalBasis",
    "Material",
    "ServiceDefinition",
    "ServiceItem",
    "Situation",
    "parse_definition",
    "service_item_id",
]

DeliveryMethod = Literal["pickup", "courier"]
ServiceKind = Literal["许可", "确认", "给付", "征收", "备案", "公共服务", "其他"]

# GB/T 39554-style unified code, e.g. XK-00123-000
_CODE = re.compile(r"^[A-Z]{2}-\d{5}-\d{3}$")
_NAMESPACE = uuid.UUID("6f1f6c1e-3c55-4f43-9a4c-6f6e6577696e")


def service_item_id(code: str) -> uuid.UUID:
    """The aggregate id of a service item: derived from its code, so loading needs no lookup."""
    return uuid.uuid5(_NAMESPACE, f"service-item:{code}")


class _Camel(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    pass


def accepted_types(types: tuple[str, ...], legacy: str | None) -> tuple[str, ...]:
    """The certificate types of a material, from ``certificateTypes`` or, in catalogue files
    and events written before it, the single ``certificateType`` (a code or a type name)."""
    if types:
        return tuple(code_of(t) for t in types)
    return (code_of(legacy),) if legacy else ()


class Material(_Camel, frozen=True):
    """One material of a situation's list."""

    id: str
    name: str
    required: bool = True
    deferrable: bool = False  # 容缺: may be handed in after acceptance
    # e-certificate types that satisfy it (免提交 when the citizen holds a valid one)
    certificate_types: tuple[str, ...] = ()
    # the single type of older catalogue files; read into certificate_types and kept equal to
    # its first code, so old clients of the guide still find it
    certificate_type: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        types = accepted_types(self.certificate_types, self.certificate_type)
        msgspec.structs.force_setattr(self, "certificate_types", types)
        msgspec.structs.force_setattr(self, "certificate_type", types[0] if types else None)

    def satisfied_by(self, type_code: str) -> bool:
        """Whether an e-certificate of this type stands for the material."""
        return type_code in self.certificate_types


FieldType = Literal["text", "longtext", "number", "date", "phone", "idNumber", "choice"]


class FormField(_Camel, frozen=True):
    """One field of an item's application form (申请表)."""

    id: str
    label: str
    type: FieldType = "text"
    required: bool = False
    max_length: int = 200  # characters, for text-like fields
    options: tuple[str, ...] = ()  # for ``choice``


class LegalBasis(_Camel, frozen=True):
    """The document an answer rests on: its name and, if it has one, its number or article."""

    name: str
    number: str = ""


class Faq(_Camel, frozen=True):
    """A question citizens often ask about an item, with the department's answer (常见问题)."""

    question: str
    answer: str
    legal_basis: LegalBasis | None = None


class CertificateIssue(_Camel, frozen=True):
    """The e-certificate an item's result becomes (``issuesCertificate``)."""

    type_code: str
    validity_years: int | None = None  # None: valid indefinitely
    issuer_code: str = ""  # the issuing department's unified social credit code

    @property
    def type_name(self) -> str:
        """The type's name in the directory."""
        return type_name(self.type_code)


class Situation(_Camel, frozen=True):
    """A situation (情形) of an item, with its own material list."""

    id: str
    name: str
    materials: tuple[Material, ...]


class ServiceDefinition(_Camel, frozen=True):
    """The full guide of one service item, as loaded from the catalogue file."""

    code: str
    name: str
    department: str  # the lead department: accepts and issues the result
    kind: ServiceKind
    legal_days: int  # 法定办结时限, working days
    promised_days: int  # 承诺办结时限, working days
    situations: tuple[Situation, ...]
    stages: tuple[tuple[str, ...], ...]  # sequential stages, parallel departments inside
    delivery_options: tuple[DeliveryMethod, ...] = ("pickup",)
    fee: int = 0  # fen
    online: bool = True  # can be completed without a visit
    max_visits: int = 0
    needs_appointment: bool = False
    description: str = ""
    pickup_place: str = ""
    # the application form; empty: free-form (still bounded: see application/form.py)
    form: tuple[FormField, ...] = ()
    faqs: tuple[Faq, ...] = ()  # answered before anyone is asked (GET /api/v1/answers)

    # its result becomes an e-certificate of the applicant (电子证照), if set
    issues_certificate: CertificateIssue | None = None

    def situation(self, situation_id: str) -> Situation | None:
        """The situation with this id, if any."""
        return next((s for s in self.situations if s.id == situation_id), None)

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department that acts on an application of this item, lead department first."""
        seen = [self.department]
        for stage in self.stages:
            seen.extend(d for d in stage if d not in seen)
        return tuple(seen)


def parse_definition(raw: Any) -> ServiceDefinition:
    """Validate a catalogue entry (camelCase mapping) and return its definition."""
    try:
        item = msgspec.convert(raw, ServiceDefinition)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(f"事项配置有误：{exc}") from exc
    errors: dict[str, str] = {}
    if not _CODE.match(item.code):
        errors["code"] = "expected a unified code like XK-00123-000"
    if not 0 < item.promised_days <= item.legal_days:
        errors["promisedDays"] = "must be positive and not above legalDays"
    if item.fee < 0:
        errors["fee"] = "must not be negative"
    if not item.situations:
        errors["situations"] = "at least one situation"
    if not item.stages or any(not stage for stage in item.stages):
        errors["stages"] = "at least one stage, each with at least one department"
    if not item.delivery_options:
        errors["deliveryOptions"] = "at least one delivery option"
    for situation in item.situations:
        ids = [m.id for m in situation.materials]
        if len(ids) != len(set(ids)):
            errors[f"situations.{situation.id}"] = "material ids must be unique"
    if len({f.id for f in item.form}) != len(item.form):
        errors["form"] = "field ids must be unique"
    errors |= _faq_errors(item.faqs)
    if len({s.id for s in item.situations}) != len(item.situations):
        errors["situations"] = "situation ids must be unique"
    errors |= _certificate_errors(item)
    if errors:
        raise ValidationFailed(f"事项{item.code}配置有误", errors)
    return item


def _faq_errors(faqs: tuple[Faq, ...]) -> dict[str, str]:
    return {
        f"faqs[{index}]": "a question and its answer"
        for index, faq in enumerate(faqs)
        if not faq.question.strip() or not faq.answer.strip()
    }


def _certificate_errors(item: ServiceDefinition) -> dict[str, str]:
    """Certificate types must be in the directory (a typo would make a material unsatisfiable)."""
    errors: dict[str, str] = {}
    for situation in item.situations:
        for material in situation.materials:
            unknown = [t for t in material.certificate_types if t not in CERTIFICATE_TYPES]
            if unknown:
                key = f"situations.{situation.id}.{material.id}.certificateTypes"
                errors[key] = f"not in the certificate directory: {', '.join(unknown)}"
    issue = item.issues_certificate
    if issue is not None:
        if issue.type_code not in CERTIFICATE_TYPES:
            errors["issuesCertificate.typeCode"] = "not in the certificate directory"
        if issue.validity_years is not None and not 0 < issue.validity_years <= 100:
            errors["issuesCertificate.validityYears"] = "1..100 years, or absent: indefinite"
    return errors


def _plain(definition: ServiceDefinition) -> dict[str, Any]:
    """The definition as stored in events: JSON types only (lists, not tuples), so a reloaded
    item compares equal to the same file read again."""
    plain: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(definition))
    return plain


class ServiceItem(Aggregate):
    """A versioned service item; each published revision is one event."""

    class Published(Aggregate.Created):
        definition: dict[str, Any]

    class Revised(Aggregate.Event):
        definition: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate._definition_raw = self.definition
            aggregate._definition = None

    def __init__(self, definition: dict[str, Any]) -> None:
        self._definition_raw = definition
        self._definition: ServiceDefinition | None = None

    @classmethod
    def publish(cls, definition: ServiceDefinition, *, at: datetime) -> ServiceItem:
        """Publish a new item at version 1."""
        return cls._create(
            cls.Published,
            id=service_item_id(definition.code),
            timestamp=at,
            definition=_plain(definition),
        )

    def revise(self, definition: ServiceDefinition, *, at: datetime) -> bool:
        """Publish a new version if the definition changed; returns whether it did."""
        if definition.code != self.definition.code:
            raise ValidationFailed("修订不能更改事项编码", {"code": "不可更改"})
        raw = _plain(definition)
        if raw == self._definition_raw:
            return False
        self.trigger_event(self.Revised, timestamp=at, definition=raw)
        return True

    @property
    def definition(self) -> ServiceDefinition:
        """The current definition (parsed once per version)."""
        if self._definition is None:
            self._definition = msgspec.convert(self._definition_raw, ServiceDefinition)
        return self._definition
