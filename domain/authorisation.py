"""Authorisation to act for another citizen (代办 / 帮办).

A principal grants it as an invitation: a one-time code, valid 24 hours, that the principal
hands to the agent; the agent redeems it (accepts). From then until ``valid_until`` the agent
may submit applications of the services in its scope for the principal, and follow them;
the principal may revoke it at any time, and that ends the agent's access at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from eventsourcing.domain import Aggregate

from domain.errors import InvalidState, NotFound, ValidationFailed
from domain.personal import Personal

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "INVITE_LIFETIME",
    "MAX_SCOPE",
    "MAX_VALIDITY",
    "Authorisation",
    "AuthorisationStatus",
]

INVITE_LIFETIME = timedelta(hours=24)  # the one-time code must be redeemed within this
MAX_VALIDITY = timedelta(days=366)  # grant again to go on for longer
MAX_SCOPE = 50  # service codes in one authorisation
AuthorisationStatus = Literal["invited", "active", "revoked", "expired"]
_STATUS_NAMES = {"invited": "待接受", "active": "生效", "revoked": "撤销", "expired": "过期"}


def _name(owner: uuid.UUID, name: str | None, field: str) -> Personal[str] | None:
    if name is None or not name.strip():
        return None
    if len(name) > 50 or "\x00" in name:
        raise ValidationFailed("姓名有误", {field: "最多50个字符"})
    return Personal(owner, name.strip())


class Authorisation(Aggregate):
    """One principal's authorisation of one agent."""

    # --- events -------------------------------------------------------------------------------

    class Granted(Aggregate.Created):
        """The invitation; the code itself is never stored, only its keyed digest."""

        principal_id: uuid.UUID
        principal_name: Personal[str] | None
        scope: list[str] | None  # None: every service
        valid_until: datetime
        use_certificates: bool
        invite_digest: str
        invite_expires_at: datetime

    class Accepted(Aggregate.Event):
        agent_id: uuid.UUID
        agent_name: Personal[str] | None  # sealed under the agent's key

        def apply(self, aggregate: Any) -> None:
            aggregate.agent_id = self.agent_id
            aggregate.agent_name_record = self.agent_name
            aggregate.accepted_at = self.timestamp

    class Revoked(Aggregate.Event):
        by: uuid.UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.ended = "revoked"
            aggregate.ended_at = self.timestamp

    class Expired(Aggregate.Event):
        """The invitation was not redeemed in time, or the validity ended."""

        what: str  # "invitation" | "validity"

        def apply(self, aggregate: Any) -> None:
            aggregate.ended = "expired"
            aggregate.ended_at = self.timestamp

    # --- state --------------------------------------------------------------------------------

    def __init__(
        self,
        *,
        principal_id: uuid.UUID,
        principal_name: Personal[str] | None,
        scope: list[str] | None,
        valid_until: datetime,
        use_certificates: bool,
        invite_digest: str,
        invite_expires_at: datetime,
    ) -> None:
        self.principal_id = principal_id
        self.principal_name_record = principal_name
        self.scope = None if scope is None else list(scope)
        self.valid_until = valid_until
        self.use_certificates = use_certificates
        self.invite_digest = invite_digest
        self.invite_expires_at = invite_expires_at
        self.agent_id: uuid.UUID | None = None
        self.agent_name_record: Personal[str] | None = None
        self.accepted_at: datetime | None = None
        self.ended: str | None = None
        self.ended_at: datetime | None = None

    @classmethod
    def grant(
        cls,
        *,
        id: uuid.UUID,
        principal_id: uuid.UUID,
        scope: Sequence[str] | None,
        valid_until: datetime,
        use_certificates: bool,
        invite_digest: str,
        at: datetime,
        principal_name: str | None = None,
    ) -> Authorisation:
        """The principal grants an authorisation: an invitation for 24 hours. ``scope`` None
        means every service; otherwise a list of service codes."""
        errors: dict[str, str] = {}
        if scope is not None and not 0 < len(scope) <= MAX_SCOPE:
            errors["scope"] = f'"all" or 1..{MAX_SCOPE} service codes'
        elif scope is not None and len(set(scope)) != len(scope):
            errors["scope"] = "each service code once"
        elif scope is not None and any(not 0 < len(code) <= 32 for code in scope):
            errors["scope"] = "service codes of 1..32 characters"
        if valid_until.tzinfo is None:
            errors["validUntil"] = "a time with its offset"
        elif valid_until <= at + INVITE_LIFETIME:
            errors["validUntil"] = "later than the invitation's 24 hours"
        elif valid_until > at + MAX_VALIDITY:
            errors["validUntil"] = f"at most {MAX_VALIDITY.days} days ahead"
        if errors:
            raise ValidationFailed("授权内容有误", errors)
        return cls._create(
            cls.Granted,
            id=id,
            timestamp=at,
            principal_id=principal_id,
            principal_name=_name(principal_id, principal_name, "principalName"),
            scope=None if scope is None else list(scope),
            valid_until=valid_until,
            use_certificates=use_certificates,
            invite_digest=invite_digest,
            invite_expires_at=at + INVITE_LIFETIME,
        )

    # --- rules --------------------------------------------------------------------------------

    def status(self, at: datetime) -> AuthorisationStatus:
        """Where the authorisation stands at ``at`` (expiry counts from the times themselves,
        before the watcher records it)."""
        if self.ended == "revoked":
            return "revoked"
        if self.ended == "expired":
            return "expired"
        if self.agent_id is None:
            return "invited" if at < self.invite_expires_at else "expired"
        return "active" if at < self.valid_until else "expired"

    def covers(self, service_code: str, at: datetime) -> bool:
        """Whether the agent may act for the principal on ``service_code`` at ``at``."""
        if self.status(at) != "active":
            return False
        return self.scope is None or service_code in self.scope

    def lets(self, agent_id: uuid.UUID, service_code: str, at: datetime) -> bool:
        """Whether ``agent_id`` is this authorisation's agent and it covers the service."""
        return self.agent_id == agent_id and self.covers(service_code, at)

    @property
    def principal_name(self) -> str | None:
        """The name the principal gave (None: none given, or forgotten)."""
        record = self.principal_name_record
        return None if record is None else record.value

    @property
    def agent_name(self) -> str | None:
        """The name the agent gave at acceptance (None: none given, or forgotten)."""
        record = self.agent_name_record
        return None if record is None else record.value

    # --- commands -----------------------------------------------------------------------------

    def accept(
        self, *, agent_id: uuid.UUID, invite_digest: str, at: datetime, agent_name: str | None
    ) -> None:
        """The agent redeems the one-time code, within 24 hours, once."""
        if invite_digest != self.invite_digest:
            raise NotFound("邀请码不存在")
        status = self.status(at)
        if status != "invited":
            raise InvalidState(f"该邀请已{_STATUS_NAMES.get(status, status)}，不能接受")
        if agent_id == self.principal_id:
            raise ValidationFailed("不能授权给自己", {"inviteCode": "不能是您自己"})
        self.trigger_event(
            self.Accepted,
            timestamp=at,
            agent_id=agent_id,
            agent_name=_name(agent_id, agent_name, "agentName"),
        )

    def revoke(self, *, by: uuid.UUID, at: datetime) -> None:
        """The principal revokes, at any time: the agent's access ends at once."""
        if by != self.principal_id:
            raise NotFound("授权不存在")
        if self.ended is not None:
            raise InvalidState(f"该授权已{_STATUS_NAMES.get(self.ended, self.ended)}")
        self.trigger_event(self.Revoked, timestamp=at, by=by)

    def expire(self, *, at: datetime) -> bool:
        """Record that the invitation or the validity ran out; True when recorded now."""
        if self.ended is not None or self.status(at) != "expired":
            return False
        what = "invitation" if self.agent_id is None else "validity"
        self.trigger_event(self.Expired, timestamp=at, what=what)
        return True
