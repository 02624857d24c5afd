"""Input PostgreSQL cannot store: a NUL character is refused at the door with a clear 400.

Without this, a NUL in any text (a path, a query, a JSON string) reaches a text column and
fails there: as a 500 on the request, or worse, as an event no read model can apply.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from domain.errors import ValidationFailed

__all__ = ["refuse_nul"]

_JSON_NUL = b"\\u0000"


async def refuse_nul(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook: 400 when the path, query or JSON body carries a NUL."""
    if "\x00" in request.scope["path"]:
        raise ValidationFailed("the path contains a NUL character", {"path": "NUL"})
    query: bytes = request.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        raise ValidationFailed("the query contains a NUL character", {"query": "NUL"})
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        if _JSON_NUL in body or b"\x00" in body:
            raise ValidationFailed("the body contains a NUL character", {"body": "NUL"})
