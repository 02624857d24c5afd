"""Whether an agent may act for a principal now (代办), read from the authorisations
themselves (their event streams), so a revocation ends access at once.

The public face of proxies for the applications feature."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from domain.authorisation import Authorisation
from domain.errors import NotFound

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from backend.services import Services

__all__ = ["acting_for", "authorisations", "lets"]


async def authorisations(services: Services, ids: Iterable[UUID]) -> dict[UUID, Authorisation]:
    """The authorisations with these ids (unknown ones left out)."""
    found: dict[UUID, Authorisation] = {}
    for key in set(ids):
        try:
            found[key] = await services.repository.get(Authorisation, key)
        except NotFound:
            continue
    return found


async def acting_for(
    services: Services,
    agent_id: UUID,
    principal_id: UUID,
    service_code: str,
    at: datetime,
    *,
    with_certificates: bool = False,
) -> Authorisation:
    """The authorisation under which ``agent_id`` acts for ``principal_id`` on a service now
    (one that lets them use the principal's certificates first, when they name some); 404
    without one, as for a principal who does not exist."""
    rows = await services.pool.fetch(
        "SELECT id FROM authorisation_index WHERE principal_id = $1 AND agent_id = $2"
        " AND ended_at IS NULL ORDER BY granted_at DESC",
        principal_id,
        agent_id,
    )
    found = await authorisations(services, (r["id"] for r in rows))
    covering = [a for a in found.values() if a.lets(agent_id, service_code, at)]
    if not covering:
        raise NotFound("未找到")
    covering.sort(key=lambda a: a.use_certificates == with_certificates, reverse=True)
    return covering[0]


async def lets(
    services: Services, agent_id: UUID, authorisation_id: UUID, service_code: str, at: datetime
) -> bool:
    """Whether the authorisation still lets ``agent_id`` act on ``service_code`` at ``at``."""
    found = await authorisations(services, [authorisation_id])
    authorisation = found.get(authorisation_id)
    return authorisation is not None and authorisation.lets(agent_id, service_code, at)
