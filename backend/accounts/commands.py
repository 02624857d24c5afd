"""Citizen login through WeChat, staff accounts and staff login."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import asyncpg

from backend.accounts.dto import CitizenToken, StaffToken
from backend.auth.passwords import hash_password, verify_password
from backend.auth.tokens import Principal
from backend.eventstore.mapper import EventMapper
from domain.actors import STAFF_ROLES
from domain.errors import ConflictError, Unauthenticated, ValidationFailed

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["create_staff", "login_citizen", "login_staff"]

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


async def create_staff(
    pool: asyncpg.Pool, username: str, password: str, role: str, department: str | None
) -> uuid.UUID:
    """A staff account; couriers' department is their courier company."""
    errors: dict[str, str] = {}
    if role not in STAFF_ROLES:
        errors["role"] = f"one of {', '.join(sorted(STAFF_ROLES))}"
    if role in ("clerk", "reviewer", "courier") and not department:
        errors["department"] = f"a {role} belongs to a department"
    if len(password) < _MIN_PASSWORD:
        errors["password"] = f"at least {_MIN_PASSWORD} characters"
    if not username.strip():
        errors["username"] = "required"
    if errors:
        raise ValidationFailed("invalid staff account", errors)
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
        raise ConflictError(f"username {username!r} is taken") from None
    return staff_id


async def login_staff(
    services: Services, username: str, password: str, client: str = "unknown"
) -> StaffToken:
    """Username and password; the same answer for an unknown user and a wrong password. A
    wrong one slows down further tries of this username from this ``client`` (back-off)."""
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
        raise Unauthenticated("wrong username or password")
    if throttle is not None:
        await throttle.succeeded(username, client)
    principal = Principal(
        id=str(row["id"]), role=row["role"], department=row["department"], name=username
    )
    token, expires = services.tokens.issue(principal, services.clock())
    return StaffToken(
        token=token,
        staff_id=str(row["id"]),
        role=row["role"],
        department=row["department"],
        expires_at=expires,
    )
