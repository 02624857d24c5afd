"""Signing in and out of the console, its home, and ``/`` for browsers."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from backend.accounts.commands import authenticate_staff
from backend.accounts.sessions import close_session, open_session, session_staff
from backend.auth.staff_access import staff_account
from backend.console.access import COOKIE, SESSION_TTL, session_cookie, staff_page
from backend.console.render import page
from backend.http.client_address import client_address
from backend.http.guards import ServicesDep
from backend.http.rate_limit import count_login
from domain.actors import STAFF_ROLES
from domain.errors import NotFound, Unauthenticated

__all__ = ["home", "login", "login_form", "logout", "root"]


def _home_of(role: str) -> str:
    return "/console/courier/" if role == "courier" else "/console/worklist"


@get("/", include_in_schema=False, sync_to_thread=False)
def root(request: Request[Any, Any, Any]) -> Response[Any]:
    """A browser is sent to the console; an API client still gets the problem+json 404."""
    if "text/html" in request.headers.get("accept", ""):
        return Redirect("/console/", status_code=302)
    raise NotFound("此处没有内容：接口在 /api/v1 下，管理后台在 /console/ 下")


@get("/login", name="console-login")
async def login_form(request: Request[Any, Any, Any], services: ServicesDep) -> Response[Any]:
    """The sign-in form (already signed in: straight home)."""
    staff_id = await session_staff(services.pool, request.cookies.get(COOKIE, ""), services.clock())
    account = await staff_account(services.pool, staff_id) if staff_id else None
    if account is not None:
        return Redirect(_home_of(account.role), status_code=303)
    return page(request, "login.html", error=None, username="")


@post("/login", status_code=303)
async def login(request: Request[Any, Any, Any], services: ServicesDep) -> Response[Any]:
    """Username and password, counted like the API's logins; a fresh session id every time."""
    form = await request.form()
    username = str(form.get("username", ""))[:100]
    password = str(form.get("password", ""))[:200]
    client = client_address(request, services.settings.trusted_proxies)
    await count_login(services, client, username)
    try:
        account = await authenticate_staff(services, username, password, client)
    except Unauthenticated:
        template: Template = page(
            request, "login.html", error="用户名或密码错误", username=username
        )
        template.status_code = 401
        return template
    old = request.cookies.get(COOKIE)
    if old:
        await close_session(services.pool, old)  # never carry a session across a login
    token = await open_session(services.pool, account.id, services.clock(), SESSION_TTL)
    response = Redirect(_home_of(account.role), status_code=303)
    response.set_cookie(session_cookie(request, token))
    return response


@post("/logout", status_code=303, guards=[staff_page(*STAFF_ROLES)])
async def logout(request: Request[Any, Any, Any], services: ServicesDep) -> Response[Any]:
    """End the session here and now."""
    await close_session(services.pool, request.cookies.get(COOKIE, ""))
    response = Redirect("/console/login", status_code=303)
    response.set_cookie(session_cookie(request, "", clear=True))
    return response


@get("/", guards=[staff_page(*STAFF_ROLES)], name="console-home")
async def home(request: Request[Any, Any, Any]) -> Response[Any]:
    """Each role's first page."""
    return Redirect(_home_of(request.state.account.role), status_code=303)
