"""Input the app refuses at the door, with a clear 400, before any handler reads it.

- A NUL character: PostgreSQL text cannot hold it. Without this a NUL in any text (a path, a
  query, a JSON string) reaches a text column and fails there: as a 500 on the request, or
  worse, as an event no read model can apply.
- A JSON body that is not UTF-8, or nested deeper than ``MAX_JSON_DEPTH``: the decoder would
  raise ``UnicodeDecodeError`` or ``RecursionError`` (a 500 with a traceback per request, a way
  to flood the log). No body of ours nests deeper than a few levels.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from domain.errors import ValidationFailed

__all__ = ["MAX_JSON_DEPTH", "json_depth_exceeds", "refuse_bad_input"]

MAX_JSON_DEPTH = 32
_JSON_NUL = b"\\u0000"
_OPENERS = frozenset(b"[{")
_CLOSERS = frozenset(b"]}")
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` opens more than ``limit`` arrays/objects inside each other (strings
    skipped). Cheap for the usual body: it cannot nest deeper than it has brackets."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSERS:
            depth -= 1
    return False


_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


async def refuse_bad_input(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook: 400 for a NUL in the path, the query or a JSON body, and for a
    JSON body that is not UTF-8 or nests too deep."""
    if "\x00" in request.scope["path"]:
        raise ValidationFailed("路径含有空字符（NUL）", {"path": "含有空字符"})
    query: bytes = request.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        raise ValidationFailed("查询参数含有空字符（NUL）", {"query": "含有空字符"})
    if request.scope["method"] in _NO_BODY or not request.headers.get(
        "content-type", ""
    ).startswith("application/json"):
        return  # (a GET's body is never read: no header to parse for it)
    body = await request.body()
    if _JSON_NUL in body or b"\x00" in body:
        raise ValidationFailed("请求体含有空字符（NUL）", {"body": "含有空字符"})
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("请求体不是有效的 UTF-8 编码", {"body": "不是 UTF-8"}) from None
    if json_depth_exceeds(body):
        raise ValidationFailed(
            f"JSON 嵌套超过{MAX_JSON_DEPTH}层",
            {"body": f"嵌套超过{MAX_JSON_DEPTH}层"},
        )
