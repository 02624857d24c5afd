"""Logins and personal-data erasure in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from backend.http.dto import Body, Dto
from domain.actors import StaffRole

__all__ = [
    "CitizenLogin",
    "CitizenToken",
    "NewStaffAccount",
    "PersonalDataErased",
    "StaffAccountView",
    "StaffChange",
    "StaffLogin",
    "StaffToken",
]


class CitizenLogin(Body, frozen=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class CitizenToken(Dto, frozen=True):
    token: str
    citizen_id: str
    expires_at: datetime


class StaffLogin(Body, frozen=True):
    username: str
    password: str


class StaffToken(Dto, frozen=True):
    token: str
    staff_id: str
    role: StaffRole
    department: str | None
    expires_at: datetime


class PersonalDataErased(Dto, frozen=True):
    """``erased`` is false when there was no key to delete (nothing personal was stored, or
    the citizen had been forgotten already)."""

    citizen_id: UUID
    erased: bool


class NewStaffAccount(Body, frozen=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=200)]
    role: str
    department: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class StaffChange(Body, frozen=True):
    role: str
    department: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class StaffAccountView(Dto, frozen=True):
    id: UUID
    username: str
    role: StaffRole
    department: str | None
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> StaffAccountView:
        """From a ``backend.accounts.queries.StaffRow``."""
        return cls(
            id=row.id,
            username=row.username,
            role=row.role,
            department=row.department,
            active=row.active,
            created_at=row.created_at,
        )
