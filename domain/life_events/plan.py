"""What one bundle submission becomes: the applicable items, each with its own form and
materials, checked by the very rules a single submission is checked by (``Application.check``)
and refused, if at all, with every field at fault named as the citizen gave it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

from domain.application import Application, Delivery, MaterialRef
from domain.catalog import ServiceDefinition
from domain.errors import ValidationFailed
from domain.life_events.definition import BundledItem, LifeEventDefinition

__all__ = ["ItemPlan", "check_answers", "merged_form_errors", "plan_bundle"]

# the placeholder a material an earlier item will supply stands on while it is checked
PENDING = "pending:"
_INDEXED = re.compile(r"^materials\[(\d+)\](.*)$")


class ItemPlan(msgspec.Struct, frozen=True):
    """One applicable item: its form and the citizen's materials for it; ``supplied``:
    material id -> the earlier item whose e-certificate stands for it (submitted once that
    item's result is issued)."""

    service_code: str
    situation_id: str
    form: dict[str, Any]
    materials: tuple[MaterialRef, ...]
    depends_on: tuple[str, ...]
    supplied: dict[str, str]

    @property
    def waits(self) -> bool:
        """Submitted only once the items it depends on have their results."""
        return bool(self.depends_on)


def check_answers(event: LifeEventDefinition, answers: Mapping[str, Any]) -> None:
    """Every question answered with one of its options, and nothing else answered."""
    errors: dict[str, str] = {}
    questions = {q.id: q for q in event.questions}
    for key, value in answers.items():
        question = questions.get(key)
        if question is None:
            errors[f"answers.{key}"] = "没有这个问题"
        elif value not in question.options:
            errors[f"answers.{key}"] = f"应为{'、'.join(question.options)}之一"
    for question in event.questions:
        if question.id not in answers:
            errors[f"answers.{question.id}"] = f"请回答：{question.text}"
    if errors:
        raise ValidationFailed("请按提示回答办理条件问题", errors, code="invalid_answers")


def merged_form_errors(
    event: LifeEventDefinition,
    services: Mapping[str, ServiceDefinition],
    items: tuple[BundledItem, ...],
    form: Mapping[str, Any],
) -> dict[str, str]:
    """The merged form's own faults: unknown fields, and required ones left blank where they
    fill an item that applies."""
    codes = {i.service_code for i in items}
    fields = {f.field: f for f in event.form}
    errors = {f"form.{k}": "一件事申请表没有此项" for k in form if k not in fields}
    for field in event.form:
        targets = event.targets(field, services)
        applies = any(code in codes for code in targets)
        value = form.get(field.field)
        blank = value is None or (isinstance(value, str) and not value.strip())
        if field.required and applies and blank:
            errors[f"form.{field.field}"] = f"请填写{field.label}"
        elif field.options and not blank and value not in field.options:
            errors[f"form.{field.field}"] = f"应为{'、'.join(field.options)}之一"
    return errors


def plan_bundle(
    event: LifeEventDefinition,
    services: Mapping[str, ServiceDefinition],
    *,
    answers: Mapping[str, Any],
    form: Mapping[str, Any],
    materials: tuple[MaterialRef, ...],
    delivery: Delivery,
) -> tuple[ItemPlan, ...]:
    """The applicable items, each checked as its own submission would be (the materials an
    earlier item will supply count as given); ``ValidationFailed`` names every field at fault
    by its path in the bundle's body."""
    check_answers(event, answers)
    items = event.applicable(answers)
    errors = merged_form_errors(event, services, items, form)
    merged = {m.id: m for m in event.materials(services, items)}
    for index, ref in enumerate(materials):
        if ref.material_id not in merged:
            errors[f"materials[{index}]"] = f"办理这些事项不需要材料“{ref.material_id}”"
    plans: list[ItemPlan] = []
    for item in items:
        service = services[item.service_code]
        item_form = {
            target: form[field.field]
            for field in event.form
            if field.field in form
            for code, target in event.targets(field, services).items()
            if code == item.service_code
        }
        positions = [
            i
            for i, ref in enumerate(materials)
            if item.service_code in getattr(merged.get(ref.material_id), "for_items", ())
        ]
        refs = tuple(
            msgspec.structs.replace(
                materials[i], material_id=event.item_material_id(materials[i].material_id)
            )
            for i in positions
        )
        supplied = event.supplied(item, services)
        placeholders = tuple(
            MaterialRef(material_id=m, certificate_id=PENDING + code)
            for m, code in supplied.items()
        )
        try:
            Application.check(
                service=service,
                situation_id=item.situation_id,
                form=item_form,
                materials=refs + placeholders,
                delivery=delivery,
            )
        except ValidationFailed as exc:
            errors |= _in_bundle_terms(exc.errors, event, services, item, positions)
        plans.append(
            ItemPlan(
                service_code=item.service_code,
                situation_id=item.situation_id,
                form=item_form,
                materials=refs,
                depends_on=item.depends_on,
                supplied=supplied,
            )
        )
    if errors:
        raise ValidationFailed("一件事申请信息不完整或有误，请按提示修改", errors)
    return tuple(plans)


def _in_bundle_terms(
    errors: Mapping[str, str],
    event: LifeEventDefinition,
    services: Mapping[str, ServiceDefinition],
    item: BundledItem,
    positions: list[int],
) -> dict[str, str]:
    """An item's field errors as paths of the bundle's body: its form fields by the merged
    field that fills them, its materials by their place in the bundle's list."""
    back = {
        target: field.field
        for field in event.form
        for code, target in event.targets(field, services).items()
        if code == item.service_code
    }
    found: dict[str, str] = {}
    for key, message in errors.items():
        indexed = _INDEXED.match(key)
        if key.startswith("materials."):
            material_id = key.removeprefix("materials.")
            found[f"materials.{event.merged_id(material_id, item.service_code)}"] = message
        elif key.startswith("form."):
            name = key.removeprefix("form.")
            found[f"form.{back.get(name, name)}"] = message
        elif indexed is not None and int(indexed[1]) < len(positions):
            found[f"materials[{positions[int(indexed[1])]}]{indexed[2]}"] = message
        elif key == "situationId":
            found[f"items.{item.service_code}"] = message
        else:
            found[key] = message
    return found
