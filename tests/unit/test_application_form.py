"""An application form is bounded whatever the item declares, and follows its fields when it
declares them; every field at fault is named at once."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from domain.application.form import MAX_FORM_CHARS, MAX_TEXT, check_form
from domain.catalog import FormField, ServiceDefinition
from domain.errors import ValidationFailed

FREE = msgspec.convert(
    {
        "code": "XK-00001-000",
        "name": "测试事项",
        "department": "市民政局",
        "kind": "许可",
        "legalDays": 20,
        "promisedDays": 5,
        "situations": [{"id": "s", "name": "s", "materials": []}],
        "stages": [["市民政局"]],
    },
    ServiceDefinition,
)
DECLARED = msgspec.structs.replace(
    FREE,
    form=(
        FormField(id="shopName", label="店铺名称", required=True, max_length=50),
        FormField(id="phone", label="联系电话", type="phone"),
        FormField(id="idNumber", label="身份证号", type="idNumber"),
        FormField(id="opening", label="开业日期", type="date"),
        FormField(id="seats", label="座位数", type="number"),
        FormField(id="kind", label="经营类型", type="choice", options=("堂食", "外卖")),
    ),
)


def errors_of(service: ServiceDefinition, form: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as refused:
        check_form(service, form)
    return refused.value.errors


def test_a_four_megabyte_value_is_refused_even_on_a_free_form() -> None:
    assert "form.note" in errors_of(FREE, {"note": "x" * (4 * 1024 * 1024)})
    check_form(FREE, {"note": "x" * MAX_TEXT})  # the limit itself is fine


def test_a_free_form_is_bounded_in_fields_and_in_total() -> None:
    assert "form" in errors_of(FREE, {f"f{i}": "x" for i in range(61)})
    many = {f"f{i}": "x" * 1500 for i in range(MAX_FORM_CHARS // 1500 + 1)}
    assert errors_of(FREE, many) == {"form": f"全部内容最多{MAX_FORM_CHARS}个字"}


def test_values_are_flat_text_numbers_or_yes_no() -> None:
    assert errors_of(FREE, {"nested": {"a": "b"}, "list": [1, 2]}) == {
        "form.nested": "应为文字、数字或是/否",
        "form.list": "应为文字、数字或是/否",
    }


def test_a_declared_form_names_every_field_at_fault_at_once() -> None:
    errors = errors_of(
        DECLARED,
        {
            "phone": "12345",
            "idNumber": "3301",
            "opening": "next monday",
            "seats": "twenty",
            "kind": "夜市",
            "extra": "?",
        },
    )
    assert errors == {
        "form.shopName": "请填写店铺名称",
        "form.phone": "应为11位手机号码",
        "form.idNumber": "应为18位居民身份证号码",
        "form.opening": "应为日期（YYYY-MM-DD）",
        "form.seats": "应为数字",
        "form.kind": "应为堂食、外卖之一",
        "form.extra": "申请表没有此项",
    }


def test_a_declared_field_keeps_its_own_length() -> None:
    assert errors_of(DECLARED, {"shopName": "店" * 51}) == {"form.shopName": "最多50个字"}


def test_a_well_filled_declared_form_passes() -> None:
    check_form(
        DECLARED,
        {
            "shopName": "老王面馆",
            "phone": "13800138000",
            "idNumber": "33010619900101123X",
            "opening": "2027-01-04",
            "seats": 40,
            "kind": "堂食",
        },
    )
