"""Citizen login through WeChat, staff accounts and staff login."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import asyncpg

from backend.accounts.dto import CitizenToken, StaffToken
from backend.auth.passwords import hash_password, verify_password
from backend.auth.staff_access import StaffAccount, forget_cached
from backend.auth.tokens import Principal
from backend.eventstore.mapper import EventMapper
from domain.actors import STAFF_ROLES
from domain.errors import (
    ConflictError,
    InvalidState,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)

if TYPE_CHECKING:
    from backend.services import Services

__all__ = [
    "authenticate_staff",
    "check_staff_fields",
    "create_staff",
    "deactivate_staff",
    "login_citizen",
    "login_staff",
    "update_staff",
]

_MIN_PASSWORD = 8


async def login_citizen(services: Services, code: str) -> CitizenToken:
    """code2session through WeChat; the citizen is found or created by openid."""
    session = await services.wechat_login.code_to_session(code)
    citizen_id = await services.pool.fetchval(
        "INSERT INTO citizens (id, openid, unionid) VALUES ($1, $2, $3)"
        " ON CONFLICT (openid) DO UPDATE SET last_login_at = now(),"
        " unionid = coalesce(excluded.unionid, citizens.unionid) RETURNING id",
        uuid.uuid4(),
        session.openid,
        session.unionid,
    )
    # the citizen's data key exists before any command of theirs seals personal data
    mapper = services.repository.mapper
    if isinstance(mapper, EventMapper) and not mapper.keys.has(citizen_id):
        await mapper.keys.ensure(services.pool, [citizen_id])
    token, expires = services.tokens.issue(
        Principal(id=str(citizen_id), role="citizen"), services.clock()
    )
    return CitizenToken(token=token, citizen_id=str(citizen_id), expires_at=expires)


def check_staff_fields(role: str, department: str | None) -> dict[str, str]:
    """Field errors of a role and department (clerks, reviewers and couriers belong to one)."""
    errors: dict[str, str] = {}
    if role not in STAFF_ROLES:
        errors["role"] = f"one of {', '.join(sorted(STAFF_ROLES))}"
    if role in ("clerk", "reviewer", "courier") and not (department or "").strip():
        errors["department"] = f"a {role} belongs to a department"
    if department is not None and ("\x00" in department or len(department) > 100):
        errors["department"] = "at most 100 characters, no NUL"
    return errors


async def create_staff(
    pool: asyncpg.Pool, username: str, password: str, role: str, department: str | None
) -> uuid.UUID:
    """A staff account; couriers' department is their courier company."""
    errors = check_staff_fields(role, department)
    if len(password) < _MIN_PASSWORD:
        errors["password"] = f"at least {_MIN_PASSWORD} characters"
    if not username.strip():
        errors["username"] = "required"
    if errors:
        raise ValidationFailed("工作人员账号信息有误", errors)
    staff_id = uuid.uuid4()
    try:
        await pool.execute(
            "INSERT INTO staff (id, username, password_hash, role, department)"
            " VALUES ($1, $2, $3, $4, $5)",
            staff_id,
            username.strip(),
            await asyncio.to_thread(hash_password, password),
            role,
            department,
        )
    except asyncpg.UniqueViolationError:
        raise ConflictError(f"用户名“{username}”已被使用", code="username_taken") from None
    return staff_id


async def authenticate_staff(
    services: Services, username: str, password: str, client: str = "unknown"
) -> StaffAccount:
    """The active account with this username and password; the same ``Unauthenticated`` for
    an unknown user, a wrong password and a deactivated account (and as slow). A wrong one
    slows down further tries of this username from this ``client`` (back-off)."""
    row = await services.pool.fetchrow(
        "SELECT id, password_hash, role, department FROM staff WHERE username = $1 AND active",
        username,
    )
    matches = await asyncio.to_thread(
        verify_password, row["password_hash"] if row else None, password
    )
    throttle = services.login_throttle
    if not matches or row is None:
        if throttle is not None:
            await throttle.failed(username, client)
        raise Unauthenticated("用户名或密码错误")
    if throttle is not None:
        await throttle.succeeded(username, client)
    return StaffAccount(
        id=row["id"], username=username, role=row["role"], department=row["department"]
    )


async def login_staff(
    services: Services, username: str, password: str, client: str = "unknown"
) -> StaffToken:
    """Username and password for a bearer token (see ``authenticate_staff``)."""
    account = await authenticate_staff(services, username, password, client)
    token, expires = services.tokens.issue(account.principal(), services.clock())
    return StaffToken(
        token=token,
        staff_id=str(account.id),
        role=account.role,
        department=account.department,
        expires_at=expires,
    )


async def update_staff(
    services: Services, staff_id: uuid.UUID, *, role: str, department: str | None, by: str
) -> None:
    """Give an account another role or department; it acts with them from its next request."""
    department = (department or "").strip() or None
    errors = check_staff_fields(role, department)
    if errors:
        raise ValidationFailed("工作人员账号信息有误", errors)
    _refuse_self(staff_id, by, "更改自己的角色")
    status = await services.pool.execute(
        "UPDATE staff SET role = $2, department = $3 WHERE id = $1", staff_id, role, department
    )
    if status.endswith(" 0"):
        raise NotFound("工作人员账号不存在")
    forget_cached(services.pool, staff_id)


async def deactivate_staff(services: Services, staff_id: uuid.UUID, *, by: str) -> None:
    """Close an account: its console sessions end at once, it cannot log in again."""
    _refuse_self(staff_id, by, "停用自己的账号")
    status = await services.pool.execute(
        "UPDATE staff SET active = false WHERE id = $1 AND active", staff_id
    )
    if status.endswith(" 0"):
        raise NotFound("没有该编号的有效工作人员账号")
    await services.pool.execute("DELETE FROM console_sessions WHERE staff_id = $1", staff_id)
    forget_cached(services.pool, staff_id)


def _refuse_self(staff_id: uuid.UUID, by: str, what: str) -> None:
    # an admin who locks themselves out needs the command line to get back in
    if str(staff_id) == by:
        raise InvalidState(f"不能{what}，请联系其他管理员", code="cannot_change_yourself")
