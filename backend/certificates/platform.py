"""The e-certificate platform, from our side: a citizen's certificates fetched and cached
(source ``platform``), and a cached certificate checked again there when it is used or
reviewed. A revocation the platform reports is recorded on our copy."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from backend.certificates.dto import Verification
from backend.certificates.identity import identity_of
from backend.eventstore.retry import retry_on_conflict
from backend.files.documents import store_document
from domain.actors import Actor
from domain.certificates import CERTIFICATE_TYPES, Certificate, certificate_id
from domain.errors import InvalidState, NotFound, ValidationFailed
from integrations.certificates import PlatformCertificate, PlatformError, PlatformUnavailable
from integrations.file_content import InvalidContent, check_content

if TYPE_CHECKING:
    from backend.eventstore import AfterInsert
    from backend.services import Services

__all__ = ["PLATFORM", "refresh_from_platform", "reverify"]

_log = logging.getLogger(__name__)
# who records what the platform says
PLATFORM = Actor(id="certificate-platform", role="system", name="电子证照平台")


async def refresh_from_platform(services: Services, citizen_id: UUID) -> int:
    """Ask the platform for the citizen's certificates of every type in the directory and
    cache what it holds; the position of the last event written (0: nothing new). Needs a
    declared identity (409 without); ``PlatformError`` when the platform cannot be believed."""
    platform = services.certificates.platform
    if platform is None:
        raise PlatformUnavailable("no e-certificate platform is configured")
    identity = await identity_of(services, citizen_id)
    if identity is None or identity.id_number is None:
        raise InvalidState("请先登记姓名和身份证号（PUT /api/v1/me/identity）")
    number = identity.id_number
    answers = await asyncio.gather(*(platform.fetch(number, code) for code in CERTIFICATE_TYPES))
    position = 0
    for record in (r for answer in answers for r in answer):
        position = max(position, await _cache(services, citizen_id, record))
    return position


def _reason(text: str | None) -> str:
    """The platform's words on a revocation, as our record can keep them."""
    words = (text or "").replace("\x00", "").strip()[:500]
    return words or "电子证照平台显示已注销"


def _dates(record: PlatformCertificate) -> tuple[date, date, date | None] | None:
    try:
        until = date.fromisoformat(record.valid_until) if record.valid_until else None
        return date.fromisoformat(record.issued_on), date.fromisoformat(record.valid_from), until
    except ValueError:
        return None


async def _document(
    services: Services, holder: UUID, record: PlatformCertificate
) -> tuple[UUID | None, str | None, AfterInsert | None]:
    """The record's PDF stored for the holder, when it is one and matches its sha256."""
    data = record.file
    if data is None or hashlib.sha256(data).hexdigest() != record.sha256:
        return None, None, None
    try:
        await asyncio.to_thread(check_content, data, "application/pdf")
    except InvalidContent:
        return None, None, None
    document = await store_document(services, holder, data)
    return document.file_id, document.stored.sha256, document.row


async def _cache(services: Services, holder: UUID, record: PlatformCertificate) -> int:
    """One platform record as our certificate: created once, revoked when the platform says."""
    dates = _dates(record)
    if dates is None:
        _log.warning("the platform sent certificate %s with unreadable dates", record.number)
        return 0
    issued_on, valid_from, valid_until = dates
    key = certificate_id("platform", record.type_code, record.number)
    now = services.clock()

    async def attempt() -> int:
        after_insert: AfterInsert | None = None
        certificate: Certificate | None
        try:
            certificate = await services.repository.get(Certificate, key)
        except NotFound:
            file_id, sha256, after_insert = await _document(services, holder, record)
            certificate = _issue(
                id=key,
                holder_id=holder,
                holder_name=record.holder_name,
                holder_id_number=record.holder_id_number,
                type_code=record.type_code,
                type_name=record.type_name,
                number=record.number,
                issuer=record.issuer,
                issuer_code=record.issuer_code,
                issued_on=issued_on,
                valid_from=valid_from,
                valid_until=valid_until,
                source="platform",
                file_id=file_id,
                sha256=sha256,
                at=now,
            )
            if certificate is None:
                return 0
        if certificate.holder_id != holder:
            return 0  # another account's copy (never shown to this one)
        if record.status == "revoked" and certificate.status != "revoked":
            certificate.revoke(actor=PLATFORM, reason=_reason(record.status_reason), at=now)
        certificate.expire(today=now.date(), at=now)
        if not certificate.pending_events:
            return 0
        saved = await services.repository.save(certificate, after_insert=after_insert)
        return saved.position

    return await retry_on_conflict(attempt, services.settings.command_retries)


def _issue(**fields: Any) -> Certificate | None:
    """A platform record as a new certificate; None (and a warning) when it makes none."""
    try:
        return Certificate.issue(**fields)
    except ValidationFailed as exc:
        _log.warning("the platform sent an unusable certificate: %s", exc.errors)
        return None


async def reverify(services: Services, certificate: Certificate, at: datetime) -> Verification:
    """Check a certificate again where it comes from: a platform certificate at the platform
    (a revocation it reports is recorded on our copy: reload it), onewindow's own as
    recorded here."""
    platform = services.certificates.platform
    if certificate.source == "onewindow":
        return Verification(checked_at=at, by="onewindow", result=certificate.status_on(at.date()))
    if platform is None:
        return Verification(
            checked_at=at, by="platform", result="unavailable", detail="no platform configured"
        )
    try:
        status = await platform.verify(certificate.number)
    except PlatformError as exc:
        _log.warning("certificate %s not verified at the platform: %s", certificate.id, exc)
        return Verification(checked_at=at, by="platform", result="unavailable", detail=str(exc))
    if status.status == "revoked" and certificate.status != "revoked":
        await _record_revocation(services, certificate.id, _reason(status.status_reason))
    await _note_check(services, certificate.id, at, status.status)
    try:
        checked = datetime.fromisoformat(status.checked_at)
    except ValueError:
        checked = at
    return Verification(
        checked_at=checked, by="platform", result=status.status, detail=status.status_reason or ""
    )


async def _note_check(services: Services, key: UUID, at: datetime, result: str) -> None:
    """The platform answered for this certificate now (the watcher's recheck waits on it)."""
    await services.pool.execute(
        "INSERT INTO certificate_checks (certificate_id, checked_at, result) VALUES ($1, $2, $3)"
        " ON CONFLICT (certificate_id) DO UPDATE SET checked_at = $2, result = $3",
        key,
        at,
        result,
    )


async def _record_revocation(services: Services, key: UUID, reason: str) -> None:
    async def attempt() -> None:
        certificate = await services.repository.get(Certificate, key)
        if certificate.status != "revoked":
            certificate.revoke(actor=PLATFORM, reason=reason, at=services.clock())
            await services.repository.save(certificate)

    await retry_on_conflict(attempt, services.settings.command_retries)
