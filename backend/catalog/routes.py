"""The service catalogue: public, no login needed (a citizen's token adds 免提交 marks)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery, QueryParameter

from backend.catalog import queries as catalog
from backend.catalog.dto import ServiceGuide, ServiceSummary
from backend.http.guards import ServicesDep, optional_caller
from backend.http.pages import DEFAULT_LIMIT, NEXT_HEADERS, Cursor, Limit, paged
from backend.http.read_source import After
from backend.read_side import CATALOG, read_model
from domain.catalog import ServiceKind

__all__ = ["CatalogController"]


class CatalogController(Controller):
    path = "/api/v1/services"
    tags = ["catalogue"]  # noqa: RUF012

    @get("/", operation_id="listServices", response_headers=NEXT_HEADERS)
    async def list_services(
        self,
        *,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        department: Annotated[str | None, QueryParameter(max_length=100)] = None,
        kind: FromQuery[ServiceKind | None] = None,
        online: FromQuery[bool | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        after: After = None,
    ) -> Response[list[ServiceSummary]]:
        """Service items by code, searchable by name or code and filterable by department,
        kind (许可, 给付 ...) and ``online`` (全程网办); ``limit`` and ``cursor`` page."""
        which = catalog.ServiceFilter(q, department, kind, online, limit, cursor)
        db = await read_model(services, CATALOG, after)
        return paged(request, await catalog.find_services(db, which))

    @get("/{code:str}", operation_id="getService")
    async def get_service(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        code: FromPath[str],
        on_behalf_of: Annotated[UUID | None, QueryParameter(name="onBehalfOf")] = None,
        after: After = None,
    ) -> ServiceGuide:
        """The guide of one item: situations with their materials, stages, delivery. With a
        citizen's bearer token, each material their valid e-certificate stands for names it
        (``satisfiedBy``: 免提交); no token is needed otherwise. ``onBehalfOf``: an agent
        sees their principal's certificates instead, while an authorisation covering the item
        lets them use those (otherwise their own, as if it were not given)."""
        db = await read_model(services, CATALOG, after)
        caller = await optional_caller(request, services)
        if caller is not None and caller.role == "citizen":
            return await catalog.guide_for(services, db, code, UUID(caller.id), on_behalf_of)
        return await catalog.get_service(db, code)
