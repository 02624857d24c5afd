"""Idempotency-Key on creating POSTs: the same key and body get the first answer; another body
gets 409.

The record is written in the command's own transaction, so an answer is remembered exactly
when the command's events are committed. Two requests racing with one key: the loser's insert
fails, its transaction (events included) rolls back, and it returns the winner's answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.params import HeaderParameter

from domain.errors import ConflictError, DomainError, ValidationFailed

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    from backend.auth.tokens import Principal
    from backend.eventstore import Saved
    from backend.services import Services

__all__ = [
    "Answer",
    "IdempotencyKey",
    "IdempotencyKeyHeader",
    "Remember",
    "idempotent",
    "idempotent_post",
]

# the ``Idempotency-Key`` request header of a POST that creates something
IdempotencyKeyHeader = Annotated[str | None, HeaderParameter(name="Idempotency-Key")]

_MAX_KEY = 200


class Answer(msgspec.Struct, frozen=True):
    """A command's HTTP answer, as remembered for replays: the response DTO when it was just
    made, its JSON form when it is replayed."""

    status_code: int
    body: msgspec.Struct | dict[str, Any]


class IdempotencyKey(msgspec.Struct, frozen=True):
    principal_id: UUID
    key: str
    request_hash: str

    @classmethod
    def of(cls, principal_id: UUID, key: str | None, request: bytes) -> IdempotencyKey | None:
        """The key of a request, or None when the client sent none."""
        if key is None:
            return None
        if not key.strip() or len(key) > _MAX_KEY:
            raise ValidationFailed(
                "Idempotency-Key 无效", {"Idempotency-Key": f"1至{_MAX_KEY}个字符"}
            )
        return cls(principal_id, key, hashlib.sha256(request).hexdigest())


# Given how to build the answer from what was saved, the hook that records it in the transaction.
Remember = Callable[
    [Callable[["Saved"], Answer]],
    Callable[["asyncpg.Connection | PoolConnectionProxy", "Saved"], Awaitable[None]],
]


async def _replay(pool: asyncpg.Pool, key: IdempotencyKey) -> Answer | None:
    row = await pool.fetchrow(
        "SELECT request_hash, status_code, response FROM idempotency_keys"
        " WHERE principal_id = $1 AND key = $2",
        key.principal_id,
        key.key,
    )
    if row is None:
        return None
    if row["request_hash"] != key.request_hash:
        raise ConflictError("该 Idempotency-Key 已用于另一个请求", code="idempotency_key_reused")
    return Answer(row["status_code"], row["response"])


async def idempotent(
    pool: asyncpg.Pool,
    key: IdempotencyKey | None,
    run: Callable[[Remember | None], Awaitable[Answer]],
) -> Answer:
    """Run the command once per key; replays get the remembered answer."""
    if key is None:
        return await run(None)
    if (answer := await _replay(pool, key)) is not None:
        return answer

    def remember(
        build: Callable[[Saved], Answer],
    ) -> Callable[[asyncpg.Connection | PoolConnectionProxy, Saved], Awaitable[None]]:
        async def write(conn: asyncpg.Connection | PoolConnectionProxy, saved: Saved) -> None:
            answer = build(saved)
            await conn.execute(
                "INSERT INTO idempotency_keys"
                " (principal_id, key, request_hash, status_code, response)"
                " VALUES ($1, $2, $3, $4, $5)",
                key.principal_id,
                key.key,
                key.request_hash,
                answer.status_code,
                msgspec.to_builtins(answer.body),
            )

        return write

    try:
        return await run(remember)
    except asyncpg.UniqueViolationError:
        answer = await _replay(pool, key)
        if answer is None:  # pragma: no cover - the winner committed before our insert failed
            raise
        return answer
    except DomainError:
        # a racing twin may have succeeded first and made this one break a rule (a citizen's
        # second booking of the day): the client asked once, so it gets the first answer
        if (answer := await _replay(pool, key)) is not None:
            return answer
        raise


async def idempotent_post(
    request: Request[Any, Any, Any],
    services: Services,
    principal: Principal,
    key: str | None,
    run: Callable[[Remember | None], Awaitable[Answer]],
) -> Response[Any]:
    """The one way a creating POST honours ``Idempotency-Key`` (API.md): the command runs once
    per key; the same key with the same path and body gets the first answer again (status
    included), the same key with anything else is 409 ``conflict``."""
    request_key = IdempotencyKey.of(
        UUID(principal.id), key, request.url.path.encode() + await request.body()
    )
    answer = await idempotent(services.pool, request_key, run)
    return Response(answer.body, status_code=answer.status_code)
