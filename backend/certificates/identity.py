"""A citizen's declared identity (实名信息): declared once, one ID number to one citizen."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING
from uuid import UUID

import asyncpg

from backend.certificates.dto import IdentityView
from domain.errors import ConflictError, NotFound
from domain.identity import CitizenIdentity, identity_id

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    from backend.auth.tokens import Principal
    from backend.eventstore import Saved
    from backend.services import Services

__all__ = ["declare_identity", "identity_of", "masked", "view_identity"]


def masked(id_number: str) -> str:
    """An ID number as it may be shown: region and the last four, the birth date hidden."""
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def _digest(services: Services, id_number: str) -> str:
    """A keyed digest of an ID number: finds a second claim without storing the number."""
    key = services.settings.secret_key.encode()
    return hmac.new(key, b"id-number:" + id_number.encode(), hashlib.sha256).hexdigest()


async def identity_of(services: Services, citizen_id: UUID) -> CitizenIdentity | None:
    """The citizen's declared identity, if they declared one."""
    try:
        return await services.repository.get(CitizenIdentity, identity_id(citizen_id))
    except NotFound:
        return None


def _view(identity: CitizenIdentity) -> IdentityView:
    return IdentityView(
        name=identity.name or "[已删除]",
        id_number=masked(identity.id_number) if identity.id_number else "[已删除]",
        declared_at=identity.created_on,
    )


async def declare_identity(
    services: Services, citizen: Principal, name: str, id_number: str
) -> IdentityView:
    """Declare name and ID number, once; 409 when already declared, or when the ID number is
    another account's."""
    citizen_id = UUID(citizen.id)
    if await identity_of(services, citizen_id) is not None:
        raise ConflictError("您已登记过身份信息")
    identity = CitizenIdentity.declare(
        citizen_id=citizen_id, name=name, id_number=id_number, at=services.clock()
    )
    digest = _digest(services, identity.id_number or "")

    async def bind(conn: asyncpg.Connection | PoolConnectionProxy, _: Saved) -> None:
        await conn.execute(
            "INSERT INTO citizen_identities (citizen_id, id_digest) VALUES ($1, $2)",
            citizen_id,
            digest,
        )

    try:
        await services.repository.save(identity, after_insert=bind)
    except asyncpg.UniqueViolationError:
        raise ConflictError("该身份证号已由另一账号登记") from None
    return _view(identity)


async def view_identity(services: Services, citizen: Principal) -> IdentityView:
    """The declared identity, masked; 404 when none was declared."""
    identity = await identity_of(services, UUID(citizen.id))
    if identity is None:
        raise NotFound("尚未登记身份信息")
    return _view(identity)
