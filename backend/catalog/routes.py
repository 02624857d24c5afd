"""The service catalogue: public, no login needed (a citizen's token adds 免提交 marks)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery

from backend.catalog import queries as catalog
from backend.catalog.dto import ServiceGuide, ServiceSummary
from backend.http.guards import ServicesDep, optional_caller

__all__ = ["CatalogController"]


class CatalogController(Controller):
    path = "/api/v1/services"
    tags = ["catalogue"]  # noqa: RUF012

    @get("/", operation_id="listServices")
    async def list_services(
        self,
        services: ServicesDep,
        q: FromQuery[str | None] = None,
        department: FromQuery[str | None] = None,
    ) -> list[ServiceSummary]:
        """Service items, searchable by name or code and filterable by department."""
        return await catalog.list_services(services.pool, q, department)

    @get("/{code:str}", operation_id="getService")
    async def get_service(
        self, request: Request[Any, Any, Any], services: ServicesDep, code: FromPath[str]
    ) -> ServiceGuide:
        """The guide of one item: situations with their materials, stages, delivery. With a
        citizen's bearer token, each material their valid e-certificate stands for names it
        (``satisfiedBy``: 免提交); no token is needed otherwise."""
        caller = await optional_caller(request, services)
        if caller is not None and caller.role == "citizen":
            return await catalog.guide_for(services, code, UUID(caller.id))
        return await catalog.get_service(services.pool, code)
