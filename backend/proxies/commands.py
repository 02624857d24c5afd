"""Citizens' authorisations (代办): grant an invitation, redeem it, revoke; the watcher records
expiry. Each command writes the authorisation's row of ``authorisation_index`` with its events."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from typing import TYPE_CHECKING
from uuid import UUID

from backend.eventstore import chain
from backend.eventstore.retry import retry_on_conflict
from backend.handling import CommandAccepted, accepted
from backend.http.idempotency import Answer
from backend.proxies.dto import AcceptedInvitation, GrantAuthorisation, GrantedAuthorisation
from domain.authorisation import Authorisation
from domain.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.auth.tokens import Principal
    from backend.eventstore import AfterInsert, Saved
    from backend.http.idempotency import Remember
    from backend.services import Services

__all__ = ["accept", "expire_authorisations", "grant", "revoke"]

# 10 characters of 32 (no 0/O, 1/I): 50 bits, read out over the phone without mistakes
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE = re.compile(rf"[{_ALPHABET}]{{10}}")


def _digest(services: Services, code: str) -> str:
    """The keyed digest an invitation is found by (the code itself is never stored)."""
    key = services.settings.secret_key.encode()
    return hmac.new(key, b"invite:" + code.encode(), hashlib.sha256).hexdigest()


def _normal(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def _index(authorisation: Authorisation) -> AfterInsert:
    """The authorisation's row of ``authorisation_index``, as its events leave it."""

    async def write(conn: asyncpg.Connection | PoolConnectionProxy, _: Saved) -> None:
        await conn.execute(
            "INSERT INTO authorisation_index (id, principal_id, agent_id, invite_digest,"
            " invite_expires_at, valid_until, ended_at, granted_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (id) DO UPDATE SET agent_id = excluded.agent_id,"
            " ended_at = excluded.ended_at",
            authorisation.id,
            authorisation.principal_id,
            authorisation.agent_id,
            authorisation.invite_digest,
            authorisation.invite_expires_at,
            authorisation.valid_until,
            authorisation.ended_at,
            authorisation.created_on,
        )

    return write


async def grant(
    services: Services,
    citizen: Principal,
    command: GrantAuthorisation,
    remember: Remember | None = None,
) -> Answer:
    """An invitation with a one-time code, valid 24 hours; the answer holds the code."""
    code = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    scope = None if command.scope == "all" else list(command.scope)
    authorisation = Authorisation.grant(
        id=uuid.uuid4(),
        principal_id=UUID(citizen.id),
        scope=scope,
        valid_until=command.valid_until,
        use_certificates=command.use_certificates,
        invite_digest=_digest(services, code),
        principal_name=command.principal_name,
        at=services.clock(),
    )

    def answer(_: Saved) -> Answer:
        body = GrantedAuthorisation(
            id=str(authorisation.id),
            invite_code=code,
            invite_expires_at=authorisation.invite_expires_at,
        )
        return Answer(201, body)

    rows = chain(_index(authorisation), remember(answer) if remember else None)
    saved = await services.repository.save(authorisation, after_insert=rows)
    return answer(saved)


async def accept(
    services: Services, agent: Principal, invite_code: str, agent_name: str | None
) -> AcceptedInvitation:
    """The agent redeems the code: 404 for a code that is no invitation (or was redeemed)."""
    code = _normal(invite_code)
    if not _CODE.fullmatch(code):
        raise ValidationFailed("邀请码格式有误", {"inviteCode": "应为10位字母和数字"})
    digest = _digest(services, code)
    key = await services.pool.fetchval(
        "SELECT id FROM authorisation_index WHERE invite_digest = $1", digest
    )
    if key is None:
        raise NotFound("邀请码不存在")
    now = services.clock()

    async def attempt() -> AcceptedInvitation:
        authorisation = await services.repository.get(Authorisation, key)
        authorisation.accept(
            agent_id=UUID(agent.id), invite_digest=digest, at=now, agent_name=agent_name
        )
        await services.repository.save(authorisation, after_insert=_index(authorisation))
        return AcceptedInvitation(
            id=str(authorisation.id),
            principal_id=str(authorisation.principal_id),
            principal_name=authorisation.principal_name,
        )

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def revoke(services: Services, citizen: Principal, authorisation_id: UUID) -> CommandAccepted:
    """The principal revokes: the agent's access ends at once (404 for anyone else)."""
    now = services.clock()

    async def attempt() -> CommandAccepted:
        authorisation = await services.repository.get(Authorisation, authorisation_id)
        authorisation.revoke(by=UUID(citizen.id), at=now)
        saved = await services.repository.save(authorisation, after_insert=_index(authorisation))
        return accepted(authorisation.id, authorisation.status(now), saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def expire_authorisations(services: Services) -> int:
    """The watcher: record the end of invitations not redeemed in time and of validities that
    ran out (access already ended at that moment; this writes it down). How many changed."""
    now = services.clock()
    rows = await services.pool.fetch(
        "SELECT id FROM authorisation_index WHERE ended_at IS NULL"
        " AND ((agent_id IS NULL AND invite_expires_at <= $1) OR valid_until <= $1)",
        now,
    )
    changed = 0
    for row in rows:

        async def attempt(key: UUID = row["id"]) -> bool:
            authorisation = await services.repository.get(Authorisation, key)
            if not authorisation.expire(at=now):
                return False
            await services.repository.save(authorisation, after_insert=_index(authorisation))
            return True

        changed += await retry_on_conflict(attempt, services.settings.command_retries)
    return changed
