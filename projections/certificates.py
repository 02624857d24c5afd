"""Certificates and their uses: what a citizen holds, what the guide offers, where each was used.

``certificate_view`` has one row per certificate, ``certificate_use_view`` one per use. No
holder's name or ID number here: they are personal data and stay in the event stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.certificates import Certificate, expiry_reason

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

__all__ = ["CertificateProjection"]


class CertificateProjection:
    """Keeps ``certificate_view`` and ``certificate_use_view``."""

    name: str = "certificates"
    tables: tuple[str, ...] = ("certificate_view", "certificate_use_view")

    async def process(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        position: int,
    ) -> None:
        if isinstance(event, Certificate.Issued):
            await _issued(conn, event)
        elif isinstance(event, Certificate.Revoked):
            await _status(conn, event, "revoked", event.reason)
        elif isinstance(event, Certificate.Expired):
            valid_until: str | None = await conn.fetchval(
                "SELECT valid_until::text FROM certificate_view WHERE id = $1",
                event.originator_id,
            )
            await _status(conn, event, "expired", expiry_reason(valid_until))
        elif isinstance(event, Certificate.Used):
            await _used(conn, event)


async def _issued(conn: asyncpg.Connection | PoolConnectionProxy, event: Any) -> None:
    await conn.execute(
        "INSERT INTO certificate_view (id, holder_id, type_code, type_name, number, issuer,"
        " issuer_code, issued_on, valid_from, valid_until, status, source, file_id, sha256,"
        " application_id, updated_at, version)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::date, $9::text::date,"
        " $10::text::date, 'valid', $11, $12::text::uuid, $13, $14::text::uuid, $15, $16)"
        " ON CONFLICT (id) DO NOTHING",
        event.originator_id,
        event.holder_id,
        event.type_code,
        event.type_name,
        event.number,
        event.issuer,
        event.issuer_code,
        event.issued_on,
        event.valid_from,
        event.valid_until,
        event.source,
        event.file_id,
        event.sha256,
        event.application_id,
        event.timestamp,
        event.originator_version,
    )


async def _status(
    conn: asyncpg.Connection | PoolConnectionProxy, event: Any, status: str, reason: str
) -> None:
    await conn.execute(
        "UPDATE certificate_view SET status = $2, status_reason = $3, updated_at = $4,"
        " version = $5 WHERE id = $1",
        event.originator_id,
        status,
        reason,
        event.timestamp,
        event.originator_version,
    )


async def _used(conn: asyncpg.Connection | PoolConnectionProxy, event: Any) -> None:
    holder: UUID | None = await conn.fetchval(
        "UPDATE certificate_view SET updated_at = $2, version = $3 WHERE id = $1"
        " RETURNING holder_id",
        event.originator_id,
        event.timestamp,
        event.originator_version,
    )
    if holder is None:  # pragma: no cover - a use always follows its certificate's issue
        return
    await conn.execute(
        "INSERT INTO certificate_use_view (certificate_id, version, holder_id, application_id,"
        " application_number, department, purpose, by_agent, at)"
        " VALUES ($1, $2, $3, $4::text::uuid, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        event.originator_id,
        event.originator_version,
        holder,
        event.application_id,
        event.application_number,
        event.department,
        event.purpose,
        str(event.actor.get("id")) != str(holder),
        event.timestamp,
    )
