"""系统管理 — staff accounts: create, change role or department, deactivate (its sessions end
at once)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.accounts.commands import create_staff, deactivate_staff, update_staff
from backend.accounts.queries import list_staff
from backend.catalog.queries import departments
from backend.console.access import AccountDep, staff_page
from backend.console.forms import form_of
from backend.console.render import is_htmx, page
from backend.http.guards import ServicesDep
from backend.read_side import CATALOG, read_model
from domain.actors import STAFF_ROLES

__all__ = ["HANDLERS", "staff_list"]

_ADMIN = [staff_page("admin")]


async def staff_list(
    request: Request[Any, Any, Any], services: ServicesDep, name: str, flash: str = ""
) -> Template:
    """The accounts table (or the whole page)."""
    return page(
        request,
        name,
        staff=await list_staff(services),
        roles=sorted(STAFF_ROLES),
        departments=await departments(await read_model(services, CATALOG)),
        flash=flash,
    )


@get("/admin/staff", guards=_ADMIN)
async def staff(request: Request[Any, Any, Any], services: ServicesDep) -> Template:
    """Every staff account, with its open sessions."""
    return await staff_list(request, services, "admin_staff.html")


async def _done(
    request: Request[Any, Any, Any], services: ServicesDep, flash: str
) -> Response[Any]:
    if is_htmx(request):
        return await staff_list(request, services, "_staff_table.html", flash)
    return Redirect("/console/admin/staff", status_code=303)


@post("/admin/staff", guards=_ADMIN, status_code=200)
async def create(request: Request[Any, Any, Any], services: ServicesDep) -> Response[Any]:
    """A new account (password at least 8 characters)."""
    form = await form_of(request)
    username = form.text("username", 64)
    await create_staff(
        services.pool,
        username,
        form.text("password", 200),
        form.text("role", 20),
        form.text("department", 100) or None,
    )
    return await _done(request, services, f"已创建账号 {username}")


@post("/admin/staff/{staff_id:uuid}/role", guards=_ADMIN, status_code=200)
async def change(
    request: Request[Any, Any, Any],
    services: ServicesDep,
    account: AccountDep,
    staff_id: FromPath[UUID],
) -> Response[Any]:
    """Another role or department, from the account's next click on."""
    form = await form_of(request)
    await update_staff(
        services,
        staff_id,
        role=form.text("role", 20),
        department=form.text("department", 100) or None,
        by=str(account.id),
    )
    return await _done(request, services, "已修改角色/部门")


@post("/admin/staff/{staff_id:uuid}/deactivate", guards=_ADMIN, status_code=200)
async def deactivate(
    request: Request[Any, Any, Any],
    services: ServicesDep,
    account: AccountDep,
    staff_id: FromPath[UUID],
) -> Response[Any]:
    """Close the account; its open sessions are logged out on their next click."""
    await deactivate_staff(services, staff_id, by=str(account.id))
    return await _done(request, services, "账号已停用，其登录会话已失效")


HANDLERS = [staff, create, change, deactivate]
