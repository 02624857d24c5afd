"""Who may call a route: the bearer token is checked before the body is even read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from backend.auth.staff_access import staff_account
from backend.auth.tokens import Principal
from backend.services import Services
from domain.actors import STAFF_ROLES
from domain.errors import Forbidden, Unauthenticated

__all__ = [
    "STAFF",
    "PrincipalDep",
    "Requires",
    "ServicesDep",
    "optional_caller",
    "provide_principal",
    "provide_services",
    "requires",
]

STAFF = ("clerk", "reviewer", "supervisor", "admin")
# handler parameters named ``services`` / ``principal`` receive these dependencies
ServicesDep = NamedDependency[Services]
PrincipalDep = NamedDependency[Principal]


def _services(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    services: Services = connection.app.state.services
    return services


class Requires:
    """A guard admitting callers with a valid token and one of ``roles`` (kept as an attribute:
    the OpenAPI document reads it to mark the route as needing a bearer token)."""

    __slots__ = ("roles",)

    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        services = _services(connection)
        header = connection.headers.get("authorization", "")
        connection.state.principal = await self.admit(services, header)

    async def admit(self, services: Services, authorization: str) -> Principal:
        """The caller an ``Authorization`` header names, if admitted (401 or 403 otherwise)."""
        scheme, _sep, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("请先登录（Authorization: Bearer 令牌）")
        principal = await current(services, services.tokens.verify(token.strip()))
        if principal.role not in self.roles:
            raise Forbidden("您的角色不能使用此功能")
        return principal


def requires(*roles: str) -> Requires:
    """A guard admitting callers with a valid token and one of ``roles``."""
    return Requires(*roles)


async def optional_caller(
    connection: ASGIConnection[Any, Any, Any, Any], services: ServicesDep
) -> Principal | None:
    """On a public route: the caller when a valid bearer token is sent (checked as
    ``requires`` checks it), None without one. A bad, expired or revoked token is ignored,
    not refused: the route answered without login before, and still does."""
    scheme, _sep, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return await current(services, services.tokens.verify(token.strip()))
    except Unauthenticated:
        return None


async def current(services: Services, principal: Principal) -> Principal:
    """The caller as they are now, not as their token said when it was issued: a logged-out
    token is refused, and a staff account is read again (deactivated: refused; moved to
    another role or department: acts with the new one) within a second, in every process."""
    if principal.token_id is not None and await services.revocations.is_revoked(principal.token_id):
        raise Unauthenticated("该登录已退出，请重新登录")
    if principal.role not in STAFF_ROLES:
        return principal
    account = await staff_account(services.pool, UUID(principal.id))
    if account is None:
        raise Unauthenticated("该工作人员账号已停用")
    return msgspec.structs.replace(
        account.principal(), token_id=principal.token_id, expires_at=principal.expires_at
    )


async def provide_principal(
    request: ASGIConnection[Any, Any, Any, Any], services: ServicesDep
) -> Principal:
    """The caller, as checked by the route's guard. (It names ``services`` so that the two
    are resolved one after the other: Litestar resolves independent dependencies of a request
    in an anyio task group, which cost a fifth of a short request.)"""
    del services
    principal: Principal = request.state.principal
    return principal


async def caller_if_any(
    request: ASGIConnection[Any, Any, Any, Any], services: ServicesDep
) -> Principal | None:
    """The caller of a public route when a bearer token is sent (a bad one is a 401), else
    None: public answers that say more to a logged-in citizen (which slots they may book)."""
    scheme, _sep, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await current(services, services.tokens.verify(token.strip()))


async def provide_services(request: ASGIConnection[Any, Any, Any, Any]) -> Services:
    """The wired adapters and stores, with the calendar as another process may have changed
    it (looked up at most once a second, see ``backend.working_calendar.keeper``)."""
    services = _services(request)
    await services.calendar_keeper.refresh(services)
    return services
