"""Logins (citizens through WeChat, staff with a password) and citizens' erasure."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from backend.accounts import commands as accounts
from backend.accounts import queries
from backend.accounts.dto import (
    CitizenLogin,
    CitizenToken,
    NewStaffAccount,
    PersonalDataErased,
    StaffAccountView,
    StaffChange,
    StaffLogin,
    StaffToken,
)
from backend.accounts.erasure import forget_citizen
from backend.http.client_address import client_address
from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.http.openapi import problems
from backend.http.rate_limit import rate_limit
from domain.actors import STAFF_ROLES
from domain.errors import NotFound

__all__ = ["AuthController", "CitizensAdminController", "StaffAdminController"]

LOGIN_BODY_LIMIT = 16 * 1024  # a code, or a username and a password


_EVERYONE = requires("citizen", *sorted(STAFF_ROLES))


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012 - litestar reads these as class attributes

    @post(
        "/wechat-login",
        operation_id="wechatLogin",
        status_code=200,
        guards=[rate_limit("login")],
        request_max_body_size=LOGIN_BODY_LIMIT,
        responses=problems(
            401, 502, 503, s401="WeChat did not accept the code (`invalid_login_code`)"
        ),
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
        responses=problems(401, s401="Wrong username or password (`unauthenticated`)"),
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

    @post("/logout", operation_id="logout", status_code=204, guards=[_EVERYONE])
    async def logout(self, services: ServicesDep, principal: PrincipalDep) -> None:
        """Revoke the token of this request (every API process refuses it within a second)."""
        if principal.token_id is not None and principal.expires_at is not None:
            await services.revocations.revoke(principal.token_id, principal.expires_at)


class StaffAdminController(Controller):
    path = "/api/v1/admin/staff"
    tags = ["accounts"]  # noqa: RUF012
    guards = [requires("admin")]  # noqa: RUF012

    @get("/", operation_id="listStaff")
    async def list_staff(self, services: ServicesDep) -> list[StaffAccountView]:
        """Every staff account, active ones first."""
        return [StaffAccountView.of(row) for row in await queries.list_staff(services)]

    @post(
        "/",
        operation_id="createStaff",
        status_code=201,
        responses=problems(409, s409="The username is taken (`conflict`)"),
    )
    async def create(
        self, services: ServicesDep, data: JSONBody[NewStaffAccount]
    ) -> StaffAccountView:
        """A new account (clerks, reviewers and couriers belong to a department or company)."""
        staff_id = await accounts.create_staff(
            services.pool, data.username, data.password, data.role, data.department
        )
        return await _view(services, staff_id)

    @patch("/{staff_id:uuid}", operation_id="updateStaff", status_code=200)
    async def update(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        staff_id: FromPath[UUID],
        data: JSONBody[StaffChange],
    ) -> StaffAccountView:
        """Another role or department; the account's tokens and sessions act with it within
        a second."""
        await accounts.update_staff(
            services, staff_id, role=data.role, department=data.department, by=principal.id
        )
        return await _view(services, staff_id)

    @post("/{staff_id:uuid}/deactivate", operation_id="deactivateStaff", status_code=200)
    async def deactivate(
        self, services: ServicesDep, principal: PrincipalDep, staff_id: FromPath[UUID]
    ) -> StaffAccountView:
        """Close the account: its tokens and console sessions stop working within a second."""
        await accounts.deactivate_staff(services, staff_id, by=principal.id)
        return await _view(services, staff_id)


async def _view(services: ServicesDep, staff_id: UUID) -> StaffAccountView:
    row = next((r for r in await queries.list_staff(services) if r.id == staff_id), None)
    if row is None:  # pragma: no cover - just written
        raise NotFound("工作人员账号不存在")
    return StaffAccountView.of(row)


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
