"""Authorisations (代办) in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from backend.http.dto import Body, Dto

__all__ = [
    "AcceptInvitation",
    "AcceptedInvitation",
    "AuthorisationView",
    "GrantAuthorisation",
    "GrantedAuthorisation",
    "PrincipalView",
]

Scope = Literal["all"] | tuple[str, ...]


class GrantAuthorisation(Body, frozen=True):
    """What a principal grants: every service or a list of service codes, until when, and
    whether the agent may use the principal's e-certificates."""

    scope: Scope
    valid_until: datetime
    use_certificates: bool = False
    principal_name: str | None = None  # how the agent will see the principal named


class GrantedAuthorisation(Dto, frozen=True):
    """The invitation: hand ``inviteCode`` to the agent (one use, before it expires)."""

    id: str
    invite_code: str
    invite_expires_at: datetime


class AcceptInvitation(Body, frozen=True):
    invite_code: str
    agent_name: str | None = None  # shown to staff on the cases the agent submits: "代办: name"


class AcceptedInvitation(Dto, frozen=True):
    """The agent may now act for ``principalId`` (pass it as ``onBehalfOf``)."""

    id: str
    principal_id: str
    principal_name: str | None


class AuthorisationView(Dto, frozen=True):
    """An authorisation as its principal sees it."""

    id: str
    status: Literal["invited", "active", "revoked", "expired"]
    scope: Scope
    valid_until: datetime
    use_certificates: bool
    granted_at: datetime
    invite_expires_at: datetime
    agent_name: str | None = None
    accepted_at: datetime | None = None


class PrincipalView(Dto, frozen=True):
    """Someone the agent may act for now."""

    authorisation_id: str
    principal_id: str
    principal_name: str | None
    scope: Scope
    valid_until: datetime
    use_certificates: bool
