"""Admins erase a citizen's personal data (crypto-shredding); the cases stay."""

from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, delete
from litestar.params import FromPath

from backend.accounts.erasure import forget_citizen
from backend.accounts.erasure_dto import PersonalDataErased
from backend.http.guards import PrincipalDep, ServicesDep, requires

__all__ = ["CitizensAdminController"]


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
        result = await forget_citizen(services, citizen_id, by=f"staff:{principal.id}")
        return msgspec.convert(result, PersonalDataErased)
