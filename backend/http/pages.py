"""Cursor pagination of a list (``?limit=&cursor=``), kept additive: the body stays the array it
always was, and the next page is named in the response headers.

- ``Onewindow-Next-Cursor: <cursor>`` and ``Link: <path?...&cursor=...>; rel="next"`` when more
  follows; neither on the last page.
- A cursor is opaque to clients: the sort key of the last row shown (keyset pagination, so a row
  added meanwhile neither repeats nor hides one). It carries nothing the query does not filter
  by the caller anyway, so a forged one can only skip or repeat the caller's own rows.
- A cursor that is not one of ours is 400 ``invalid_cursor``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.params import QueryParameter

from domain.errors import ValidationFailed

__all__ = ["DEFAULT_LIMIT", "NEXT_HEADERS", "Cursor", "Limit", "Page", "decode", "page_of", "paged"]

NEXT_CURSOR = "Onewindow-Next-Cursor"
DEFAULT_LIMIT = (
    200  # the size every list had before pagination: a client that does not page sees it
)
T = TypeVar("T")
R = TypeVar("R")

Limit = Annotated[
    int,
    QueryParameter(
        ge=1,
        le=DEFAULT_LIMIT,
        description="At most this many items (default 200); the next page's cursor is in the"
        " `Onewindow-Next-Cursor` header (and `Link: rel=next`) while more follow.",
    ),
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description="The `Onewindow-Next-Cursor` of the previous page (opaque).",
    ),
]

NEXT_HEADERS = [
    ResponseHeader(
        name=NEXT_CURSOR,
        description="The cursor of the next page; absent on the last page.",
        documentation_only=True,
    ),
    ResponseHeader(
        name="Link",
        description='`<url>; rel="next"`: the next page; absent on the last page.',
        documentation_only=True,
    ),
]


def decode(cursor: str | None, shape: type[T]) -> T | None:
    """The sort key a cursor carries, as ``shape`` (a tuple type); None without a cursor."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=shape)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise ValidationFailed(
            "分页参数无效，请从第一页重新查询",
            {"cursor": "不是本接口返回的 cursor"},
            code="invalid_cursor",
        ) from None


def encode(key: Sequence[Any]) -> str:
    """The cursor of the row whose sort key is ``key``."""
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).rstrip(b"=").decode()


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, and the sort key of its last row when more follow."""

    items: list[T]
    next_key: Sequence[Any] | None = None


def page_of(
    rows: Sequence[R], limit: int, key: Callable[[R], Sequence[Any]]
) -> tuple[list[R], Sequence[Any] | None]:
    """``rows`` fetched with ``LIMIT limit + 1``: the page's rows, and the sort key of its last
    row when another page follows (``key(row)``)."""
    if len(rows) <= limit:
        return list(rows), None
    shown = list(rows[:limit])
    return shown, key(shown[-1])


def paged(request: Request[Any, Any, Any], page: Page[T]) -> Response[list[T]]:
    """The page's items, with the next page in the headers."""
    items = page.items
    if page.next_key is None:
        return Response(items)
    cursor = encode(page.next_key)
    query = {k: v for k, v in request.query_params.items() if k != "cursor"}
    query["cursor"] = cursor
    link = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    return Response(items, headers={NEXT_CURSOR: cursor, "Link": link})
