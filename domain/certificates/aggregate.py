"""One e-certificate (电子证照): who holds it, what it is, whether it is valid, where it was used.

onewindow issues some (the result of an item that declares ``issuesCertificate``); others are
copies of records held by the e-certificate platform (``source == "platform"``), cached here
and checked again there whenever they are used. The holder's name and ID number are the
holder's personal data (sealed under their key); everything else is public record.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

from eventsourcing.domain import Aggregate

from domain.errors import InvalidState, ValidationFailed
from domain.personal import Personal

if TYPE_CHECKING:
    from domain.actors import Actor

__all__ = [
    "SOURCES",
    "Certificate",
    "CertificateStatus",
    "Source",
    "certificate_id",
    "expiry_reason",
    "problem_on",
    "status_on",
]

CertificateStatus = Literal["valid", "expired", "revoked"]
Source = Literal["onewindow", "platform"]
SOURCES: tuple[str, ...] = get_args(Source)
_NAMESPACE = uuid.UUID("0b8f0c55-2a4e-4b8e-9a59-63657274696e")


def certificate_id(source: str, type_code: str, key: str) -> uuid.UUID:
    """The aggregate id of a certificate, from its source, type and key: the platform's
    certificate number, or the application a certificate of onewindow is the result of. So
    fetching the same record twice, or issuing a result again, finds the same certificate."""
    return uuid.uuid5(_NAMESPACE, f"certificate:{source}:{type_code}:{key}")


def status_on(recorded: str, valid_until: str | None, day: date) -> CertificateStatus:
    """A certificate's status on ``day``: revoked or expired as recorded, expired once past
    ``valid_until`` (before the watcher records it), valid otherwise."""
    if recorded in ("revoked", "expired"):
        return "revoked" if recorded == "revoked" else "expired"
    if valid_until is not None and day > date.fromisoformat(valid_until):
        return "expired"
    return "valid"


def expiry_reason(valid_until: str | None) -> str:
    """The status reason of a certificate whose validity ended (shown to its holder)."""
    return f"有效期至{valid_until}"


def problem_on(
    recorded: str, valid_from: str, valid_until: str | None, day: date, reason: str | None = None
) -> str | None:
    """Why a certificate cannot stand for a material on ``day`` (None: it can)."""
    status = status_on(recorded, valid_until, day)
    if status == "revoked":
        return "该电子证照已注销" + (f"：{reason}" if reason else "")
    if status == "expired":
        return f"该电子证照已过期（有效期至{valid_until}）"
    if date.fromisoformat(valid_from) > day:
        return f"该电子证照自{valid_from}起才生效"
    return None


class Certificate(Aggregate):
    """An e-certificate and every use made of it."""

    # --- events -------------------------------------------------------------------------------

    class Issued(Aggregate.Created):
        """The holder's name and ID number are ``Personal`` (the holder's key)."""

        holder_id: uuid.UUID
        holder: Personal[dict[str, Any]]  # {"name": ..., "idNumber": ...}
        type_code: str
        type_name: str
        number: str
        issuer: str
        issuer_code: str
        issued_on: str  # ISO dates
        valid_from: str
        valid_until: str | None  # None: indefinitely
        source: str
        file_id: str | None = None  # the document (PDF), a file owned by the holder
        sha256: str | None = None
        application_id: str | None = None  # onewindow: the application it is the result of

    class Revoked(Aggregate.Event):
        """吊销/注销 (the reason is the administration's record, kept in clear)."""

        actor: dict[str, Any]
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "revoked"
            aggregate.status_reason = self.reason
            aggregate.status_since = self.timestamp

    class Expired(Aggregate.Event):
        """The validity ended (recorded by the watcher; ``status_on`` knows it from the day)."""

        on: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "expired"
            aggregate.status_reason = expiry_reason(aggregate.valid_until)
            aggregate.status_since = self.timestamp

    class Used(Aggregate.Event):
        """用证: the certificate stood for a material of an application."""

        application_id: str
        application_number: str
        department: str
        purpose: str
        actor: dict[str, Any]  # who submitted (the holder, or their agent)

        def apply(self, aggregate: Any) -> None:
            aggregate.uses += 1

    # --- state --------------------------------------------------------------------------------

    def __init__(
        self,
        *,
        holder_id: uuid.UUID,
        holder: Personal[dict[str, Any]],
        type_code: str,
        type_name: str,
        number: str,
        issuer: str,
        issuer_code: str,
        issued_on: str,
        valid_from: str,
        valid_until: str | None,
        source: str,
        file_id: str | None = None,
        sha256: str | None = None,
        application_id: str | None = None,
    ) -> None:
        self.holder_id = holder_id
        self.holder = holder
        self.type_code = type_code
        self.type_name = type_name
        self.number = number
        self.issuer = issuer
        self.issuer_code = issuer_code
        self.issued_on = issued_on
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.source = source
        self.file_id = file_id
        self.sha256 = sha256
        self.application_id = application_id
        self.status: CertificateStatus = "valid"
        self.status_reason: str | None = None
        self.status_since: datetime | None = None
        self.uses = 0

    @classmethod
    def issue(
        cls,
        *,
        id: uuid.UUID,
        holder_id: uuid.UUID,
        holder_name: str | None,
        holder_id_number: str | None,
        type_code: str,
        type_name: str,
        number: str,
        issuer: str,
        issuer_code: str,
        issued_on: date,
        valid_from: date,
        valid_until: date | None,
        source: Source,
        at: datetime,
        file_id: uuid.UUID | None = None,
        sha256: str | None = None,
        application_id: uuid.UUID | None = None,
    ) -> Certificate:
        """A new certificate of ``holder_id`` (``id``: see ``certificate_id``)."""
        errors: dict[str, str] = {}
        if not number.strip():
            errors["number"] = "必填"
        if not type_code.strip():
            errors["typeCode"] = "必填"
        if valid_until is not None and valid_until < valid_from:
            errors["validUntil"] = "not before validFrom"
        if source not in SOURCES:
            errors["source"] = f"one of {', '.join(SOURCES)}"
        if errors:
            raise ValidationFailed("电子证照信息有误", errors)
        return cls._create(
            cls.Issued,
            id=id,
            timestamp=at,
            holder_id=holder_id,
            holder=Personal(holder_id, {"name": holder_name, "idNumber": holder_id_number}),
            type_code=type_code,
            type_name=type_name,
            number=number,
            issuer=issuer,
            issuer_code=issuer_code,
            issued_on=issued_on.isoformat(),
            valid_from=valid_from.isoformat(),
            valid_until=valid_until.isoformat() if valid_until is not None else None,
            source=source,
            file_id=str(file_id) if file_id is not None else None,
            sha256=sha256,
            application_id=str(application_id) if application_id is not None else None,
        )

    # --- rules --------------------------------------------------------------------------------

    @property
    def holder_name(self) -> str | None:
        """The holder's name (None when not known, or once the holder was forgotten)."""
        value = self.holder.value
        return None if value is None else value.get("name")

    @property
    def holder_id_number(self) -> str | None:
        """The holder's ID number (None when not known, or once the holder was forgotten)."""
        value = self.holder.value
        return None if value is None else value.get("idNumber")

    def status_on(self, day: date) -> CertificateStatus:
        """Revoked, expired (recorded, or past ``valid_until`` on ``day``), or valid."""
        return status_on(self.status, self.valid_until, day)

    def problem_on(self, day: date) -> str | None:
        """Why the certificate cannot stand for a material on ``day`` (None: it can)."""
        return problem_on(self.status, self.valid_from, self.valid_until, day, self.status_reason)

    # --- commands -----------------------------------------------------------------------------

    def revoke(self, *, actor: Actor, reason: str, at: datetime) -> None:
        """Revoke (by the issuing department, an admin, or as the platform reports it)."""
        if self.status == "revoked":
            raise InvalidState("该电子证照已注销")
        if not reason.strip() or "\x00" in reason or len(reason) > 500:
            raise ValidationFailed("请写明原因", {"reason": "1至500个字符"})
        self.trigger_event(self.Revoked, timestamp=at, actor=actor.as_record(), reason=reason)

    def expire(self, *, today: date, at: datetime) -> bool:
        """Record the end of validity once it is past; True when it was recorded now."""
        if self.status != "valid" or self.status_on(today) != "expired":
            return False
        self.trigger_event(self.Expired, timestamp=at, on=today.isoformat())
        return True

    def record_use(
        self,
        *,
        application_id: uuid.UUID,
        application_number: str,
        department: str,
        purpose: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        """用证留痕: the certificate stands for a material of an application (it must be
        usable that day)."""
        problem = self.problem_on(at.date())
        if problem is not None:
            raise InvalidState(problem)
        self.trigger_event(
            self.Used,
            timestamp=at,
            application_id=str(application_id),
            application_number=application_number,
            department=department,
            purpose=purpose,
            actor=actor.as_record(),
        )
