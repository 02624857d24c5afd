"""Logins: citizens through WeChat, staff with a password."""

from __future__ import annotations

import msgspec
from litestar import Controller, post
from litestar.params import JSONBody

from backend.accounts import commands as accounts
from backend.http.dto import CitizenLogin, CitizenToken, StaffLogin, StaffToken
from backend.http.guards import ServicesDep
from backend.http.rate_limit import rate_limit

__all__ = ["AuthController"]


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012 - litestar reads these as class attributes

    @post(
        "/wechat-login",
        operation_id="wechatLogin",
        status_code=200,
        guards=[rate_limit("login")],
    )
    async def wechat_login(
        self, services: ServicesDep, data: JSONBody[CitizenLogin]
    ) -> CitizenToken:
        """Exchange a ``wx.login`` code for a token (sandbox: any code ``sandbox-<name>``)."""
        return msgspec.convert(await accounts.login_citizen(services, data.code), CitizenToken)

    @post("/staff-login", operation_id="staffLogin", status_code=200, guards=[rate_limit("login")])
    async def staff_login(self, services: ServicesDep, data: JSONBody[StaffLogin]) -> StaffToken:
        """Username and password for operators, supervisors, admins and couriers."""
        result = await accounts.login_staff(services, data.username, data.password)
        return msgspec.convert(result, StaffToken)
