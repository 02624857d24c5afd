"""Logins and personal-data erasure in and out (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from backend.http.dto import Body, Dto

__all__ = ["CitizenLogin", "CitizenToken", "PersonalDataErased", "StaffLogin", "StaffToken"]


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
    role: str
    department: str | None
    expires_at: datetime


class PersonalDataErased(Dto, frozen=True):
    """``erased`` is false when there was no key to delete (nothing personal was stored, or
    the citizen had been forgotten already)."""

    citizen_id: UUID
    erased: bool
