"""Logins (citizens through WeChat, staff with a password) and citizens' erasure."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, post
from litestar.params import FromPath, JSONBody

from backend.accounts import commands as accounts
from backend.accounts.dto import (
    CitizenLogin,
    CitizenToken,
    PersonalDataErased,
    StaffLogin,
    StaffToken,
)
from backend.accounts.erasure import forget_citizen
from backend.http.client_address import client_address
from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.http.rate_limit import rate_limit

__all__ = ["AuthController", "CitizensAdminController"]

LOGIN_BODY_LIMIT = 16 * 1024  # a code, or a username and a password


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012 - litestar reads these as class attributes

    @post(
        "/wechat-login",
        operation_id="wechatLogin",
        status_code=200,
        guards=[rate_limit("login")],
        request_max_body_size=LOGIN_BODY_LIMIT,
    )
    async def wechat_login(
        self, services: ServicesDep, data: JSONBody[CitizenLogin]
    ) -> CitizenToken:
        """Exchange a ``wx.login`` code for a token (sandbox: any code ``sandbox-<name>``)."""
        return await accounts.login_citizen(services, data.code)

    @post(
        "/staff-login",
        operation_id="staffLogin",
        status_code=200,
        guards=[rate_limit("login")],
        request_max_body_size=LOGIN_BODY_LIMIT,
    )
    async def staff_login(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        data: JSONBody[StaffLogin],
    ) -> StaffToken:
        """Username and password for operators, supervisors, admins and couriers; wrong
        passwords slow down further tries from the same client (429 with Retry-After)."""
        client = client_address(request, services.settings.trusted_proxies)
        return await accounts.login_staff(services, data.username, data.password, client)


class CitizensAdminController(Controller):
    path = "/api/v1/admin/citizens"
    tags = ["citizens"]  # noqa: RUF012
    guards = [requires("admin")]  # noqa: RUF012

    @delete("/{citizen_id:uuid}/personal-data", operation_id="erasePersonalData", status_code=200)
    async def erase(
        self, services: ServicesDep, principal: PrincipalDep, citizen_id: FromPath[UUID]
    ) -> PersonalDataErased:
        """Delete the citizen's data key: their forms and addresses read as "[已删除]" from now
        on, everywhere; applications, history and statistics stay. Cannot be undone."""
        return await forget_citizen(services, citizen_id, by=f"staff:{principal.id}")
