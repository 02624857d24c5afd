"""Every field error of a request body in one answer, in Chinese.

msgspec stops at the first error it meets, so a client fixing a body would learn of its faults
one round trip at a time. When a body is refused, this walks the decoded JSON against the
handler's body type and reports every field at fault (``delivery.address.phone``,
``materials[0].fileId``), with a message a citizen can read.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Union

import msgspec

__all__ = ["MISSING_BODY", "body_errors", "chinese"]

MISSING_BODY = "缺少请求体：请以 JSON 对象发送"
_UNKNOWN = object()

_TYPE_NAMES = {
    "str": "文字",
    "int": "整数",
    "float": "数字",
    "bool": "true 或 false",
    "array": "列表",
    "object": "对象",
    "null": "null",
    "uuid": "UUID",
    "datetime": "带时区的时间（ISO 8601）",
    "date": "日期（YYYY-MM-DD）",
    "time": "时间（HH:MM）",
    "bytes": "文字",
}
_EXPECTED = re.compile(r"Expected `(?P<want>[^`]+)`(?P<rest>.*?)(?:, got `(?P<got>[^`]+)`)?$")
_BOUND = re.compile(r"\s*(?P<op>>=|<=|>|<)\s*(?P<n>-?[\d.]+)")
_LENGTH = re.compile(r"\s*of length\s*(?P<op>>=|<=|>|<)\s*(?P<n>\d+)")
# (how msgspec's message starts, what a citizen reads), the longer prefix first
_FIXED = (
    ("Object missing required field", "必填"),
    ("Missing required", "必填"),
    ("Object contains unknown field", "不认识的字段"),
    ("Invalid UUID", "应为 UUID"),
    (
        "Invalid RFC3339 encoded datetime",
        "应为带时区的时间（ISO 8601，如 2026-12-02T09:00:00+08:00）",
    ),
    ("Invalid RFC3339 encoded date", "应为日期（YYYY-MM-DD）"),
)
_OPS = {">=": "不少于", "<=": "不超过", ">": "大于", "<": "小于"}


def _type_name(name: str) -> str:
    parts = [p.strip() for p in name.split("|")]
    return "或".join(_TYPE_NAMES.get(p, p) for p in parts)


def chinese(message: str) -> str:
    """msgspec's (or Litestar's) English for one field, in Chinese; unknown ones kept behind
    a Chinese lead so the cause is not lost."""
    message = message.split(" - at `", 1)[0].strip()
    for prefix, text in _FIXED:
        if message.startswith(prefix):
            return text
    if message.startswith("Invalid enum value"):
        value = message.removeprefix("Invalid enum value").strip().strip("'")
        return f"取值“{value}”无效"
    match = _EXPECTED.match(message)
    if match:
        want, rest, got = match["want"], match["rest"], match["got"]
        text = f"应为{_type_name(want)}"
        length, bound = _LENGTH.match(rest), _BOUND.match(rest)
        if length:
            unit = "项" if want in ("array", "object") else "个字符"
            text += f"，长度{_OPS[length['op']]}{length['n']}{unit}"
        elif bound:
            text += f"，{_OPS[bound['op']]}{bound['n']}"
        if got:
            text += f"，实际为{_type_name(got)}"
        return text
    return f"格式有误（{message}）"


def body_errors(raw: bytes, body_type: Any) -> dict[str, str]:
    """Every field of ``raw`` (a JSON body) that does not fit ``body_type``; ``body`` when the
    body is missing or not JSON at all."""
    if not raw.strip():
        return {"body": "缺少请求体"}
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return {"body": "不是有效的 JSON"}
    errors: dict[str, str] = {}
    _walk(value, body_type, "", errors)
    return errors


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _walk(value: Any, kind: Any, path: str, errors: dict[str, str]) -> None:
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:
        inner = typing.get_args(kind)[0]
        if _is_struct(inner) or typing.get_origin(inner) in (list, tuple):
            _walk(value, inner, path, errors)
            return
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if value is None and len(options) < len(typing.get_args(kind)):
            return
        if len(options) == 1:
            _walk(value, options[0], path, errors)
            return
    if _is_struct(kind) and isinstance(value, dict) and kind.__struct_config__.tag is None:
        _walk_struct(value, kind, path, errors)
        return
    if origin in (list, tuple) and isinstance(value, list):
        args = typing.get_args(kind)
        item = args[0] if args else Any
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):
            for index, element in enumerate(value):
                _walk(element, item, f"{path}[{index}]", errors)
            return
    _leaf(value, kind, path, errors)


def _walk_struct(value: dict[str, Any], kind: Any, path: str, errors: dict[str, str]) -> None:
    before = len(errors)
    fields = msgspec.structs.fields(kind)
    names = {f.encode_name for f in fields}
    for field in fields:
        given = value.get(field.encode_name, _UNKNOWN)
        if given is _UNKNOWN:
            if field.required:
                errors[_join(path, field.encode_name)] = "必填"
            continue
        _walk(given, field.type, _join(path, field.encode_name), errors)
    if kind.__struct_config__.forbid_unknown_fields:
        for name in value:
            if name not in names:
                errors[_join(path, str(name))] = "不认识的字段"
    if len(errors) == before:
        # every field fits, yet the whole may not (a rule in __post_init__)
        _leaf(value, kind, path, errors)


def _leaf(value: Any, kind: Any, path: str, errors: dict[str, str]) -> None:
    try:
        msgspec.convert(value, kind, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        where = re.search(r" - at `\$(?P<at>[^`]*)`", text)
        sub = where["at"] if where else ""
        key = (path + sub).lstrip(".") if sub.startswith((".", "[")) else path
        errors[key or "body"] = chinese(text)
    except (TypeError, ValueError) as exc:
        errors[path or "body"] = chinese(str(exc))


def _is_struct(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, msgspec.Struct)
