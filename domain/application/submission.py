"""What a submission must satisfy (照单抓药: the situation's own material list)."""

from __future__ import annotations

from collections.abc import Iterable

from domain.application.values import MAX_PAGES, PHONE, Delivery, MaterialRef, PinnedMaterial
from domain.catalog import ServiceDefinition
from domain.errors import ValidationFailed

__all__ = ["check_delivery", "check_material_refs", "check_submission"]


def check_material_refs(
    known: dict[str, PinnedMaterial], refs: Iterable[MaterialRef], field: str = "materials"
) -> dict[str, str]:
    """Field errors for refs that name unknown materials or break the file/certificate rule."""
    errors: dict[str, str] = {}
    given: set[str] = set()
    for index, ref in enumerate(refs):
        key = f"{field}[{index}]"
        material = known.get(ref.material_id)
        if material is None:
            errors[key] = f"该情形没有材料“{ref.material_id}”"
        elif ref.material_id in given:
            errors[key] = "同一材料提交了两次"
        elif ref.file_id is not None and ref.file_ids:
            errors[key] = "fileId 与 fileIds 只能填写一个"
        elif (not ref.files) == (ref.certificate_id is None):
            errors[key] = "请上传文件（fileId 或 fileIds）或选择电子证照（certificateId），二者选一"
        elif len(ref.files) > MAX_PAGES:
            errors[key] = f"一份材料最多{MAX_PAGES}个文件"
        elif len(set(ref.files)) != len(ref.files):
            errors[key] = "同一文件重复上传"
        elif ref.certificate_id is not None and not material.certificate_types:
            errors[key] = f"{material.name}不能用电子证照代替"
        given.add(ref.material_id)
    return errors


def check_submission(
    service: ServiceDefinition, situation_id: str, materials: tuple[MaterialRef, ...]
) -> tuple[PinnedMaterial, ...]:
    """Check the materials against the situation; return the situation's pinned list."""
    situation = service.situation(situation_id)
    if situation is None:
        raise ValidationFailed("所选情形不属于该事项", {"situationId": "不是该事项的情形"})
    pinned = tuple(
        PinnedMaterial(
            id=m.id,
            name=m.name,
            required=m.required,
            deferrable=m.deferrable,
            certificate_types=m.certificate_types,
        )
        for m in situation.materials
    )
    known = {m.id: m for m in pinned}
    errors = check_material_refs(known, materials)
    given = {ref.material_id for ref in materials}
    for material in pinned:
        # deferrable (容缺) materials may follow after acceptance
        if material.required and not material.deferrable and material.id not in given:
            errors[f"materials.{material.id}"] = f"缺少必要材料：{material.name}"
    if errors:
        raise ValidationFailed("材料不齐全或有误，请按提示修改", errors)
    return pinned


def check_delivery(service: ServiceDefinition, delivery: Delivery) -> None:
    """The delivery method is offered, and a courier address is complete."""
    if delivery.method not in service.delivery_options:
        raise ValidationFailed(
            "该事项不提供所选的领取方式", {"delivery.method": "该事项不提供此方式"}
        )
    if delivery.method == "courier":
        address = delivery.address
        if address is None:
            raise ValidationFailed("快递寄送需要填写收件地址", {"delivery.address": "必填"})
        blank = [f for f in address.__struct_fields__ if not str(getattr(address, f)).strip()]
        errors = {f"delivery.address.{f}": "必填" for f in blank}
        if not PHONE.fullmatch(address.phone):
            errors["delivery.address.phone"] = "应为11位手机号码"
        if errors:
            raise ValidationFailed("收件地址不完整", errors)
