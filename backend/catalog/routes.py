"""The service catalogue: public, no login needed."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath, FromQuery

from backend.catalog import queries as catalog
from backend.catalog.dto import ServiceGuide, ServiceSummary
from backend.http.guards import ServicesDep
from backend.http.read_source import After
from backend.read_side import CATALOG, read_model

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
        after: After = None,
    ) -> list[ServiceSummary]:
        """Service items, searchable by name or code and filterable by department."""
        return await catalog.list_services(
            await read_model(services, CATALOG, after), q, department
        )

    @get("/{code:str}", operation_id="getService")
    async def get_service(
        self, services: ServicesDep, code: FromPath[str], after: After = None
    ) -> ServiceGuide:
        """The guide of one item: situations with their materials, stages, delivery."""
        return await catalog.get_service(await read_model(services, CATALOG, after), code)
