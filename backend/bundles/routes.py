"""Life events (public guides) and citizens' bundles (一件事一次办)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from backend.bundles import commands, queries
from backend.bundles.dto import (
    BundleView,
    LifeEventGuide,
    LifeEventSummary,
    SubmitBundle,
    SubmittedBundle,
)
from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.http.idempotency import IdempotencyKeyHeader, idempotent_post
from backend.http.rate_limit import rate_limit
from backend.http.read_source import After
from backend.read_side import CATALOG, read_model

__all__ = ["BundlesController", "LifeEventsController"]


class LifeEventsController(Controller):
    path = "/api/v1/life-events"
    tags = ["life events"]  # noqa: RUF012

    @get("/", operation_id="listLifeEvents")
    async def list_life_events(self, services: ServicesDep) -> list[LifeEventSummary]:
        """Life events (一件事): each with the service items it bundles. (No ``after``: they
        change only when the catalogue is published, never by a citizen's write.)"""
        return await queries.list_life_events(await read_model(services, queries.BUNDLES))

    @get("/{code:str}", operation_id="getLifeEvent")
    async def get_life_event(self, services: ServicesDep, code: FromPath[str]) -> LifeEventGuide:
        """One life event: its eligibility questions, its items (``when``: the answers under
        which one applies; ``dependsOn``: the items whose results it waits for), the merged
        form, the materials given once for every item that needs them, and the delivery
        options every item offers."""
        db = await read_model(services, queries.BUNDLES)
        return await queries.get_life_event(db, await read_model(services, CATALOG), code)


class BundlesController(Controller):
    path = "/api/v1/bundles"
    tags = ["life events"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post("/", operation_id="submitBundle", status_code=201, guards=[rate_limit("create")])
    async def submit(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        principal: PrincipalDep,
        data: JSONBody[SubmitBundle],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[SubmittedBundle]:
        """One submission for a life event: one form, one set of materials, one delivery
        choice. Each applicable item becomes an application; one that depends on another is
        submitted by onewindow once that one's result is issued, its e-certificate standing
        for the material it supplies. The same Idempotency-Key and body get the first answer."""
        return await idempotent_post(
            request,
            services,
            principal,
            idempotency_key,
            lambda remember: commands.submit_bundle(services, principal, data, remember),
        )

    @get("/", operation_id="listMyBundles")
    async def list_mine(
        self, services: ServicesDep, principal: PrincipalDep, after: After = None
    ) -> list[BundleView]:
        """My bundles, newest first."""
        return await queries.list_bundles(services, principal, after)

    @get("/{bundle_id:uuid}", operation_id="getBundle")
    async def get_bundle(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        bundle_id: FromPath[UUID],
        after: After = None,
    ) -> BundleView:
        """One bundle: each item's status and department, which items go on when one could
        not be handled, and one timeline of them all."""
        return await queries.get_bundle(services, principal, bundle_id, after)
