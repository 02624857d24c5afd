"""Who may call a route: the bearer token is checked before the body is even read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from backend.auth.tokens import Principal
from backend.services import Services
from domain.errors import Forbidden, Unauthenticated

__all__ = [
    "STAFF",
    "PrincipalDep",
    "ServicesDep",
    "provide_principal",
    "provide_services",
    "requires",
]

STAFF = ("clerk", "reviewer", "supervisor", "admin")
# handler parameters named ``services`` / ``principal`` receive these dependencies
ServicesDep = NamedDependency[Services]
PrincipalDep = NamedDependency[Principal]
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def _services(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    services: Services = connection.app.state.services
    return services


def requires(*roles: str) -> Guard:
    """A guard admitting callers with a valid token and one of ``roles``."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        header = connection.headers.get("authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("a bearer token is required")
        principal = _services(connection).tokens.verify(token.strip())
        if principal.role not in roles:
            raise Forbidden("your role may not use this")
        connection.state.principal = principal

    return guard


async def provide_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller, as checked by the route's guard."""
    principal: Principal = request.state.principal
    return principal


async def provide_services(request: ASGIConnection[Any, Any, Any, Any]) -> Services:
    """The wired adapters and stores, with the calendar as another process may have changed
    it (looked up at most once a second, see ``backend.working_calendar.keeper``)."""
    services = _services(request)
    await services.calendar_keeper.refresh(services)
    return services
