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


async def refuse_bad_input(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook: 400 for a NUL in the path, the query or a JSON body, and for a
    JSON body that is not UTF-8 or nests too deep."""
    if "\x00" in request.scope["path"]:
        raise ValidationFailed("the path contains a NUL character", {"path": "NUL"})
    query: bytes = request.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        raise ValidationFailed("the query contains a NUL character", {"query": "NUL"})
    if not request.headers.get("content-type", "").startswith("application/json"):
        return
    body = await request.body()
    if _JSON_NUL in body or b"\x00" in body:
        raise ValidationFailed("the body contains a NUL character", {"body": "NUL"})
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("the body is not valid UTF-8", {"body": "not UTF-8"}) from None
    if json_depth_exceeds(body):
        raise ValidationFailed(
            f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels",
            {"body": f"nested deeper than {MAX_JSON_DEPTH} levels"},
        )
