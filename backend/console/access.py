"""Who is at the console: the session cookie, the account behind it, and the role a page needs.

The cookie holds a random token (``backend.accounts.sessions``); every request looks the account
up again through ``staff_account`` (active, role, department), so a deactivated or moved
account is refused at its next click. A page refuses other roles with 403, and a record of
another department is 404 inside the commands and queries, as in the API.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from backend.accounts.sessions import session_staff
from backend.auth.staff_access import StaffAccount, staff_account
from domain.errors import Forbidden

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from backend.services import Services

__all__ = [
    "COOKIE",
    "SESSION_TTL",
    "AccountDep",
    "LoginRequired",
    "provide_account",
    "session_cookie",
    "staff_page",
]

COOKIE = "onewindow_console"
SESSION_TTL = timedelta(hours=8)  # one working day; then sign in again
AccountDep = NamedDependency[StaffAccount]
STAFF_DESK = ("clerk", "reviewer", "supervisor", "admin")


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""


def _services(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    services: Services = connection.app.state.services
    return services


def staff_page(
    *roles: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """A guard: a live session of an active account with one of ``roles``."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        services = _services(connection)
        token = connection.cookies.get(COOKIE, "")
        staff_id = await session_staff(services.pool, token, services.clock())
        account = await staff_account(services.pool, staff_id) if staff_id is not None else None
        if account is None:
            raise LoginRequired
        connection.state.account = account
        connection.state.principal = account.principal()
        if account.role not in roles:
            raise Forbidden("您的角色不能使用此页面")

    return guard


async def provide_account(request: ASGIConnection[Any, Any, Any, Any]) -> StaffAccount:
    """The signed-in account, as the page's guard found it."""
    account: StaffAccount = request.state.account
    return account


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def session_cookie(
    connection: ASGIConnection[Any, Any, Any, Any], token: str, *, clear: bool = False
) -> Cookie:
    """The session cookie: HttpOnly, SameSite=Strict, only under /console, Secure unless the
    console is reached on a loopback address (``make run``)."""
    host = (connection.url.hostname or "").strip("[]")
    return Cookie(
        key=COOKIE,
        value="" if clear else token,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=not _loopback(host),
        max_age=0 if clear else int(SESSION_TTL.total_seconds()),
    )
