"""The one way a creating POST honours ``Idempotency-Key`` (API.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Request, Response

from backend.auth.tokens import Principal
from backend.http.idempotency import Answer, IdempotencyKey, Remember, idempotent
from backend.services import Services

__all__ = ["idempotent_response"]

T = TypeVar("T")


async def idempotent_response(
    request: Request[Any, Any, Any],
    services: Services,
    principal: Principal,
    key: str | None,
    *,
    run: Callable[[Remember | None], Awaitable[Answer]],
    body_type: type[T],
) -> Response[T]:
    """Run the command once per key; the same key with the same path and body gets the first
    answer again (status included), the same key with anything else is 409 ``conflict``."""
    request_key = IdempotencyKey.of(
        UUID(principal.id), key, request.url.path.encode() + await request.body()
    )
    answer = await idempotent(services.pool, request_key, run)
    return Response(msgspec.convert(answer.body, body_type), status_code=answer.status_code)
