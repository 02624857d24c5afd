"""A citizen's authorisations: those they granted, and those who they may act for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal
from uuid import UUID

from backend.proxies.access import authorisations
from backend.proxies.dto import AuthorisationView, PrincipalView

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services
    from domain.authorisation import Authorisation

__all__ = ["granted_by_me", "my_principals"]


def _scope(authorisation: Authorisation) -> Literal["all"] | tuple[str, ...]:
    return "all" if authorisation.scope is None else tuple(authorisation.scope)


async def granted_by_me(services: Services, citizen: Principal) -> list[AuthorisationView]:
    """Every authorisation I granted, newest first, with where it stands now."""
    rows = await services.pool.fetch(
        "SELECT id FROM authorisation_index WHERE principal_id = $1"
        " ORDER BY granted_at DESC LIMIT 200",
        UUID(citizen.id),
    )
    found = await authorisations(services, (r["id"] for r in rows))
    now = services.clock()
    return [
        AuthorisationView(
            id=str(a.id),
            status=a.status(now),
            scope=_scope(a),
            valid_until=a.valid_until,
            use_certificates=a.use_certificates,
            granted_at=a.created_on,
            invite_expires_at=a.invite_expires_at,
            agent_name=a.agent_name,
            accepted_at=a.accepted_at,
        )
        for a in (found[r["id"]] for r in rows if r["id"] in found)
    ]


async def my_principals(services: Services, agent: Principal) -> list[PrincipalView]:
    """Those I may act for now, under which authorisation and for what."""
    rows = await services.pool.fetch(
        "SELECT id FROM authorisation_index WHERE agent_id = $1 AND ended_at IS NULL"
        " ORDER BY granted_at DESC",
        UUID(agent.id),
    )
    found = await authorisations(services, (r["id"] for r in rows))
    now = services.clock()
    return [
        PrincipalView(
            authorisation_id=str(a.id),
            principal_id=str(a.principal_id),
            principal_name=a.principal_name,
            scope=_scope(a),
            valid_until=a.valid_until,
            use_certificates=a.use_certificates,
        )
        for a in (found[r["id"]] for r in rows if r["id"] in found)
        if a.status(now) == "active"
    ]
