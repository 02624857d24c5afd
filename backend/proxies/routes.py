"""代办: a citizen authorises another to act for them; the agent redeems the invitation."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from backend.handling import CommandAccepted
from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.http.idempotency import IdempotencyKeyHeader, idempotent_post
from backend.http.rate_limit import rate_limit
from backend.proxies import commands, queries
from backend.proxies.dto import (
    AcceptedInvitation,
    AcceptInvitation,
    AuthorisationView,
    GrantAuthorisation,
    GrantedAuthorisation,
    PrincipalView,
)

__all__ = ["AuthorisationsController", "InvitationsController"]


class AuthorisationsController(Controller):
    path = "/api/v1/me"
    tags = ["proxies"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post(
        "/authorisations",
        operation_id="grantAuthorisation",
        status_code=201,
        guards=[rate_limit("create")],
    )
    async def grant(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        principal: PrincipalDep,
        data: JSONBody[GrantAuthorisation],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[GrantedAuthorisation]:
        """Authorise someone to act for me: an invitation code for them, valid 24 hours."""
        return await idempotent_post(
            request,
            services,
            principal,
            idempotency_key,
            lambda remember: commands.grant(services, principal, data, remember),
        )

    @get("/authorisations", operation_id="listMyAuthorisations")
    async def granted(
        self, services: ServicesDep, principal: PrincipalDep
    ) -> list[AuthorisationView]:
        """The authorisations I granted, newest first."""
        return await queries.granted_by_me(services, principal)

    @post(
        "/authorisations/{authorisation_id:uuid}/revoke",
        operation_id="revokeAuthorisation",
        status_code=200,
    )
    async def revoke(
        self, services: ServicesDep, principal: PrincipalDep, authorisation_id: FromPath[UUID]
    ) -> CommandAccepted:
        """Revoke at once: the agent loses access, also to applications already submitted."""
        return await commands.revoke(services, principal, authorisation_id)

    @get("/principals", operation_id="listMyPrincipals")
    async def principals(
        self, services: ServicesDep, principal: PrincipalDep
    ) -> list[PrincipalView]:
        """Those I may act for now (pass ``principalId`` as ``onBehalfOf``)."""
        return await queries.my_principals(services, principal)


class InvitationsController(Controller):
    path = "/api/v1/authorisations"
    tags = ["proxies"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post(
        "/accept",
        operation_id="acceptAuthorisation",
        status_code=200,
        guards=[rate_limit("create")],
    )
    async def accept(
        self, services: ServicesDep, principal: PrincipalDep, data: JSONBody[AcceptInvitation]
    ) -> AcceptedInvitation:
        """Redeem an invitation code (once, within 24 hours of its grant)."""
        return await commands.accept(services, principal, data.invite_code, data.agent_name)
