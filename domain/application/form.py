"""What an application form may hold: the item's fields when it declares them, and always
bounded (a form is kept in every event that carries it, and shown to staff).

Without bounds a 4 MB string in ``form`` became a 5 MB event; these limits keep a form to a few
kilobytes whatever the client sends.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from domain.catalog import FormField, ServiceDefinition
from domain.errors import ValidationFailed

__all__ = ["MAX_FIELDS", "MAX_FORM_CHARS", "MAX_TEXT", "check_form"]

MAX_FIELDS = 60
MAX_KEY = 64
MAX_TEXT = 2000  # characters of one free-form value
MAX_FORM_CHARS = 16_000  # all keys and values together
_PHONE = re.compile(r"1\d{10}")
_ID_NUMBER = re.compile(r"\d{17}[\dXx]")  # 居民身份证号码, GB 11643


def check_form(service: ServiceDefinition, form: Mapping[str, Any]) -> None:
    """``ValidationFailed`` with every field at fault (``form.<field>``), or nothing."""
    errors: dict[str, str] = {}
    if len(form) > MAX_FIELDS:
        errors["form"] = f"最多{MAX_FIELDS}项"
    total = 0
    declared = {f.id: f for f in service.form}
    for key, value in form.items():
        total += len(key) + (len(value) if isinstance(value, str) else 16)
        if len(key) > MAX_KEY:
            errors["form"] = f"字段名最多{MAX_KEY}个字符"
        elif declared and key not in declared:
            errors[f"form.{key}"] = "申请表没有此项"
        elif not isinstance(value, str | int | float | bool) or value is None:
            errors[f"form.{key}"] = "应为文字、数字或是/否"
        elif key in declared:
            problem = _field_problem(declared[key], value)
            if problem:
                errors[f"form.{key}"] = problem
        elif isinstance(value, str) and len(value) > MAX_TEXT:
            errors[f"form.{key}"] = f"最多{MAX_TEXT}个字"
    for field in service.form:
        if field.required and _blank(form.get(field.id)):
            errors[f"form.{field.id}"] = f"请填写{field.label}"
    if total > MAX_FORM_CHARS and "form" not in errors:
        errors["form"] = f"全部内容最多{MAX_FORM_CHARS}个字"
    if errors:
        raise ValidationFailed("申请表填写不完整或有误，请按提示修改", errors)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


# a filled text field of this type must look like this (type -> test, what it should be)
_SHAPES: dict[str, tuple[Callable[[str], bool], str]] = {
    "phone": (lambda v: _PHONE.fullmatch(v) is not None, "应为11位手机号码"),
    "idNumber": (lambda v: _ID_NUMBER.fullmatch(v) is not None, "应为18位居民身份证号码"),
    "date": (_is_date, "应为日期（YYYY-MM-DD）"),
}


def _field_problem(field: FormField, value: str | float | bool) -> str | None:
    if field.type == "number":
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if number else "应为数字"
    if not isinstance(value, str):
        return "应为文字"
    if len(value) > field.max_length:
        return f"最多{field.max_length}个字"
    if field.type == "choice" and value.strip() and value not in field.options:
        return f"应为{'、'.join(field.options)}之一"
    shape = _SHAPES.get(field.type)
    # a blank value: only a required field must be filled (checked apart)
    if shape is not None and value.strip() and not shape[0](value):
        return shape[1]
    return None
