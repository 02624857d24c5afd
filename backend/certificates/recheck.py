"""The watcher checks again, at the platform, the platform certificates that open cases stand
on: a revocation there is recorded on our copy, and the case becomes stuck
(``certificate_invalid``) without a reviewer having to open it first."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from backend.certificates.platform import reverify
from domain.application.status import OPEN
from domain.certificates import Certificate

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["BATCH", "LOCK", "recheck_platform_certificates"]

LOCK = "onewindow-certificate-recheck"  # the advisory lock's key (hashed)
BATCH = 20  # per watcher pass: a slow platform (5 s a call) must not hold up the deadlines

# Platform certificates still valid here that a material of an open case names, not confirmed
# at the platform within the interval; the longest unchecked first.
_DUE = (
    "SELECT c.id FROM certificate_view c"
    " LEFT JOIN certificate_checks k ON k.certificate_id = c.id"
    " WHERE c.source = 'platform' AND c.status = 'valid'"
    " AND (k.checked_at IS NULL OR k.checked_at < $2)"
    " AND EXISTS (SELECT 1 FROM certificate_use_view u"
    "             JOIN application_view a ON a.id = u.application_id"
    "             WHERE u.certificate_id = c.id AND a.status = ANY($1::text[])"
    "             AND EXISTS (SELECT 1 FROM jsonb_array_elements(a.work->'case'->'materials') m"
    "                         WHERE m->>'certificateId' = c.id::text))"
    " ORDER BY k.checked_at NULLS FIRST LIMIT $3"
)


async def recheck_platform_certificates(services: Services) -> int:
    """One pass: verify the due certificates again; how many the platform now says are
    revoked. Stops at the first call the platform cannot answer (down, slow, forged): the
    next pass tries again."""
    if services.certificates.platform is None:
        return 0
    now = services.clock()
    every = timedelta(hours=services.settings.certificate_platform.recheck_hours)
    async with services.pool.acquire() as conn:
        # one process at a time: every worker runs the watcher, the platform should not hear
        # each question once per process
        if not await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", LOCK):
            return 0
        try:
            rows = await conn.fetch(_DUE, list(OPEN), now - every, BATCH)
            revoked = 0
            for row in rows:
                certificate = await services.repository.get(Certificate, row["id"])
                verification = await reverify(services, certificate, now)
                if verification.result == "unavailable":
                    break
                revoked += verification.result == "revoked"
            return revoked
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", LOCK)
