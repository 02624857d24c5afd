"""Commands on certificates: revoking one (the issuing department or an admin), and the
watcher's recording of expiry."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from backend.eventstore.retry import retry_on_conflict
from backend.handling import CommandAccepted, accepted
from domain.certificates import Certificate
from domain.errors import Forbidden

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["expire_certificates", "revoke"]


async def revoke(
    services: Services, staff: Principal, certificate_id: UUID, reason: str
) -> CommandAccepted:
    """Revoke a certificate: an admin any, a department the ones it issued (onewindow's own:
    a platform certificate is revoked by its issuer at the platform, and we learn it there)."""
    now = services.clock()

    async def attempt() -> CommandAccepted:
        certificate = await services.repository.get(Certificate, certificate_id)
        issuing = certificate.source == "onewindow" and certificate.issuer == staff.department
        if staff.role != "admin" and not issuing:
            raise Forbidden("仅发证部门或管理员可以注销电子证照")
        certificate.revoke(actor=staff.actor(), reason=reason, at=now)
        saved = await services.repository.save(certificate)
        return accepted(certificate.id, certificate.status, saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def expire_certificates(services: Services) -> int:
    """The watcher: record expiry of certificates whose validity ended; how many changed."""
    now = services.clock()
    rows = await services.pool.fetch(
        "SELECT id FROM certificate_view WHERE status = 'valid' AND valid_until < $1",
        now.date(),
    )
    changed = 0
    for row in rows:

        async def attempt(key: UUID = row["id"]) -> bool:
            certificate = await services.repository.get(Certificate, key)
            if not certificate.expire(today=now.date(), at=now):
                return False
            await services.repository.save(certificate)
            return True

        changed += await retry_on_conflict(attempt, services.settings.command_retries)
    return changed
