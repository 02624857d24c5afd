"""The service catalogue: public, no login needed."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery

from backend.catalog import queries as catalog
from backend.http.dto import ServiceGuide, ServiceSummary
from backend.http.guards import ServicesDep

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
        rows = await catalog.list_services(services.pool, q, department)
        return msgspec.convert(rows, list[ServiceSummary])

    @get("/{code:str}", operation_id="getService")
    async def get_service(self, services: ServicesDep, code: FromPath[str]) -> ServiceGuide:
        """The guide of one item: situations with their materials, stages, delivery."""
        return msgspec.convert(await catalog.get_service(services.pool, code), ServiceGuide)
