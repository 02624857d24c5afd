"""Life events (一件事一次办): one situation of a citizen's life, several items of several
departments, asked for once.

A life event names the items it bundles, the eligibility questions that decide which of them
apply, a merged form whose fields fill each item's own form, and (derived from the items'
guides) one list of materials: a material several items need is given once. An item may depend
on earlier ones; what such an earlier item's result becomes (its e-certificate) stands for the
later item's material of that type, so the citizen does not give it at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

from domain.catalog import FieldType, ServiceDefinition
from domain.errors import ValidationFailed

__all__ = [
    "BundledItem",
    "LifeEventDefinition",
    "MergedField",
    "MergedMaterial",
    "Question",
    "parse_life_event",
]

_CODE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


class _Camel(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    pass


class Question(_Camel, frozen=True):
    """An eligibility question (e.g. "新生儿是否在本市落户？") with the answers it allows."""

    id: str
    text: str
    options: tuple[str, ...]


class BundledItem(_Camel, frozen=True):
    """One item of the life event: the service, the situation it is applied for in, when it
    applies (question id -> the answers under which it does; absent: always) and the earlier
    items whose results it waits for."""

    service_code: str
    situation_id: str
    when: dict[str, tuple[str, ...]] | None = None
    depends_on: tuple[str, ...] = ()

    def holds(self, answers: Mapping[str, str]) -> bool:
        """Whether the answers meet this item's own condition (its dependencies aside)."""
        return all(answers.get(q) in allowed for q, allowed in (self.when or {}).items())


class MergedField(_Camel, frozen=True):
    """A field of the merged form and the item fields it fills: ``mapsTo`` service code ->
    that item's field id; absent, every item whose form has a field of the same id."""

    field: str
    label: str
    required: bool = False
    type: FieldType = "text"
    options: tuple[str, ...] = ()
    maps_to: dict[str, str] | None = None


class MergedMaterial(msgspec.Struct, frozen=True):
    """A material the citizen gives once for every item in ``for_items`` (same material id in
    each item's situation). ``required``: some item needs it at submission."""

    id: str
    name: str
    required: bool
    deferrable: bool
    certificate_types: tuple[str, ...]
    for_items: tuple[str, ...]

    def satisfied_by(self, type_code: str) -> bool:
        """Whether an e-certificate of this type stands for the material."""
        return type_code in self.certificate_types


class LifeEventDefinition(_Camel, frozen=True):
    """The definition of one life event, as in the catalogue file's ``lifeEvents``."""

    code: str
    name: str
    items: tuple[BundledItem, ...]
    questions: tuple[Question, ...] = ()
    form: tuple[MergedField, ...] = ()
    description: str = ""
    # material ids that name different documents in different items (each item's
    # "application-form" is its own): given per item, as ``<id>@<serviceCode>``
    separate_materials: tuple[str, ...] = ()

    def merged_id(self, material_id: str, service_code: str) -> str:
        """The id the citizen gives an item's material by in the bundle."""
        if material_id in self.separate_materials:
            return f"{material_id}@{service_code}"
        return material_id

    @staticmethod
    def item_material_id(merged_id: str) -> str:
        """The item's own id of a bundle material."""
        return merged_id.split("@", 1)[0]

    def item(self, service_code: str) -> BundledItem | None:
        """The bundled item of this service, if any."""
        return next((i for i in self.items if i.service_code == service_code), None)

    @property
    def service_codes(self) -> tuple[str, ...]:
        """Every item's service code, in the order given."""
        return tuple(i.service_code for i in self.items)

    def targets(
        self, field: MergedField, services: Mapping[str, ServiceDefinition]
    ) -> dict[str, str]:
        """Service code -> the item field ``field`` fills."""
        if field.maps_to is not None:
            return dict(field.maps_to)
        return {
            code: field.field
            for code in self.service_codes
            if code in services and any(f.id == field.field for f in services[code].form)
        }

    def applicable(self, answers: Mapping[str, str]) -> tuple[BundledItem, ...]:
        """The items that apply: their condition holds and every item they depend on applies
        (an item cannot wait for one that will never be applied for)."""
        applying: list[BundledItem] = []
        codes: set[str] = set()
        for item in self.items:  # dependencies come earlier (checked at load)
            if item.holds(answers) and all(d in codes for d in item.depends_on):
                applying.append(item)
                codes.add(item.service_code)
        return tuple(applying)

    def supplied(
        self, item: BundledItem, services: Mapping[str, ServiceDefinition]
    ) -> dict[str, str]:
        """Material id -> the service code of the earlier item whose e-certificate stands for
        it (the citizen gives none of these for ``item``)."""
        situation = services[item.service_code].situation(item.situation_id)
        found: dict[str, str] = {}
        for dependency in item.depends_on:
            issue = services[dependency].issues_certificate
            if issue is None or situation is None:
                continue
            for material in situation.materials:
                if material.id not in found and material.satisfied_by(issue.type_code):
                    found[material.id] = dependency
        return found

    def materials(
        self,
        services: Mapping[str, ServiceDefinition],
        items: tuple[BundledItem, ...] | None = None,
    ) -> tuple[MergedMaterial, ...]:
        """The materials the citizen gives, once each, for ``items`` (default: all): every
        material of each item's situation, merged by id across items, but those an earlier
        item's certificate will stand for."""
        merged: dict[str, dict[str, Any]] = {}
        for item in self.items if items is None else items:
            situation = services[item.service_code].situation(item.situation_id)
            if situation is None:
                continue
            supplied = self.supplied(item, services)
            for material in situation.materials:
                if material.id in supplied:
                    continue
                entry = merged.setdefault(
                    self.merged_id(material.id, item.service_code),
                    {
                        "name": material.name,
                        "required": False,
                        "deferrable": True,
                        "types": [],
                        "items": [],
                    },
                )
                at_submission = material.required and not material.deferrable
                entry["required"] = entry["required"] or at_submission
                entry["deferrable"] = entry["deferrable"] and (
                    material.deferrable or not material.required
                )
                entry["types"].extend(
                    t for t in material.certificate_types if t not in entry["types"]
                )
                entry["items"].append(item.service_code)
        return tuple(
            MergedMaterial(
                id=material_id,
                name=e["name"],
                required=e["required"],
                deferrable=e["deferrable"] and not e["required"],
                certificate_types=tuple(e["types"]),
                for_items=tuple(e["items"]),
            )
            for material_id, e in merged.items()
        )

    def delivery_options(self, services: Mapping[str, ServiceDefinition]) -> tuple[str, ...]:
        """The ways of getting the results every item offers (one choice for the bundle)."""
        options = ("pickup", "courier")
        return tuple(
            o for o in options if all(o in services[c].delivery_options for c in self.service_codes)
        )


def parse_life_event(raw: Any, services: Mapping[str, ServiceDefinition]) -> LifeEventDefinition:
    """Validate a catalogue entry of ``lifeEvents`` against the items it names."""
    try:
        event = msgspec.convert(raw, LifeEventDefinition)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(f"一件事配置有误：{exc}") from exc
    errors: dict[str, str] = {}
    if not _CODE.match(event.code):
        errors["code"] = "lower-case letters, digits and '-', e.g. birth"
    if len(event.items) < 2:
        errors["items"] = "a life event bundles at least two items"
    questions = {q.id: q for q in event.questions}
    if len(questions) != len(event.questions):
        errors["questions"] = "question ids must be unique"
    errors |= {
        f"questions.{q.id}": "at least two options" for q in event.questions if len(q.options) < 2
    }
    if not set(event.separate_materials) <= {
        m.id
        for i in event.items
        if i.service_code in services
        for s in services[i.service_code].situations
        for m in s.materials
    }:
        errors["separateMaterials"] = "names a material no item has"
    errors |= _item_errors(event, services, questions)
    if errors:
        raise ValidationFailed(f"一件事{event.code}配置有误", errors)
    errors |= _form_errors(event, services)
    if errors:
        raise ValidationFailed(f"一件事{event.code}配置有误", errors)
    return event


def _item_errors(
    event: LifeEventDefinition,
    services: Mapping[str, ServiceDefinition],
    questions: Mapping[str, Question],
) -> dict[str, str]:
    """Items are published, bundled once, depend on earlier ones, ask known questions."""
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for item in event.items:
        key = f"items.{item.service_code}"
        definition = services.get(item.service_code)
        if definition is None:
            errors[key] = "no such service item in the catalogue"
        elif definition.situation(item.situation_id) is None:
            errors[f"{key}.situationId"] = "not a situation of the item"
        if item.service_code in seen:
            errors[key] = "an item is bundled once"
        if any(d not in seen for d in item.depends_on):
            errors[f"{key}.dependsOn"] = "may depend on earlier items only"
        for question, allowed in (item.when or {}).items():
            known = questions.get(question)
            if known is None or any(a not in known.options for a in allowed):
                errors[f"{key}.when.{question}"] = "an unknown question or option"
        seen.add(item.service_code)
    return errors


def _form_errors(
    event: LifeEventDefinition, services: Mapping[str, ServiceDefinition]
) -> dict[str, str]:
    """Merged fields map to fields the items have; every required item field is filled by a
    required merged field (else the item's own check would refuse what the bundle accepted)."""
    errors: dict[str, str] = {}
    if len({f.field for f in event.form}) != len(event.form):
        errors["form"] = "field ids must be unique"
    filled: dict[str, set[str]] = {code: set() for code in event.service_codes}
    for field in event.form:
        if not event.targets(field, services):
            errors[f"form.{field.field}"] = "fills no item's form field"
        for code, target in event.targets(field, services).items():
            item_form = {f.id: f for f in services[code].form} if code in services else {}
            if code not in filled:
                errors[f"form.{field.field}"] = f"maps to {code}, not an item of the event"
            elif item_form and target not in item_form:
                errors[f"form.{field.field}"] = f"{code} has no form field {target}"
            elif field.required:
                filled[code].add(target)
    for code, targets in filled.items():
        for item_field in services[code].form:
            if item_field.required and item_field.id not in targets:
                errors[f"form.{code}.{item_field.id}"] = (
                    "a required item field no required merged field fills"
                )
    return errors
