"""Reading what a console form or query string sent: short texts, lists, typed filters."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Request

from domain.errors import ValidationFailed

__all__ = ["Form", "after_of", "form_of", "query_struct"]

S = TypeVar("S", bound=msgspec.Struct)


class Form:
    """A submitted form: texts are stripped and bounded; a NUL is refused."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def text(self, name: str, limit: int = 2000) -> str:
        value = self._data.get(name, "")
        value = value if isinstance(value, str) else ""
        if "\x00" in value:
            raise ValidationFailed("文字中含有空字符（NUL）", {name: "不能含有空字符"})
        if len(value) > limit:
            raise ValidationFailed("内容过长", {name: f"最多{limit}个字"})
        return value.strip()

    def texts(self, name: str) -> list[str]:
        values = self._data.getall(name) if hasattr(self._data, "getall") else []
        return [v.strip() for v in values if isinstance(v, str) and v.strip() and "\x00" not in v]

    def uuids(self, name: str) -> list[UUID]:
        try:
            return [UUID(v) for v in self.texts(name)]
        except ValueError:
            raise ValidationFailed("编号有误", {name: "不是有效的编号"}) from None


async def form_of(request: Request[Any, Any, Any]) -> Form:
    """The request's form (url-encoded or multipart)."""
    return Form(await request.form())


def after_of(request: Request[Any, Any, Any]) -> int | None:
    """``?after=position`` of a page an action redirected to (see ``backend.read_side``)."""
    after = request.query_params.get("after", "")
    return int(after) if after.isdigit() and len(after) < 19 else None


def query_struct(request: Request[Any, Any, Any], cls: type[S]) -> S:
    """The query string as ``cls``; empty values mean "not given"; a bad value is a 400."""
    given = {
        k: v for k, v in request.query_params.items() if v != "" and k in cls.__struct_fields__
    }
    try:
        return msgspec.convert(given, cls, strict=False)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(f"筛选条件有误：{exc}", {"query": str(exc)}) from None
