"""Couriers' app, the courier companies' route pushes, and supervisors' delivery actions."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from backend.deliveries import commands as deliveries
from backend.deliveries.dto import (
    CourierDelivery,
    DeliveryRecorded,
    DeliveryReport,
    Redispatched,
)
from backend.deliveries.queries import open_deliveries
from backend.handling import CommandAccepted
from backend.http.dto import Reason
from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.http.openapi import problems, raw_body
from backend.http.read_source import After
from domain.delivery import Report
from domain.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from integrations.courier import PushRejected

__all__ = ["CourierController", "CourierWebhookController", "DeliveryAdminController"]

_log = logging.getLogger(__name__)
_PUSH_BODY_LIMIT = 64 * 1024  # ten routes are a few kilobytes
_TOKEN_HEADER = "x-onewindow-token"  # noqa: S105 - a header name, not a secret


class CourierController(Controller):
    """Courier staff; a courier's department is its courier company."""

    path = "/api/v1/courier"
    tags = ["couriers"]  # noqa: RUF012
    guards = [requires("courier")]  # noqa: RUF012

    @get("/deliveries", operation_id="listCourierDeliveries")
    async def list_deliveries(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        after: After = None,
    ) -> list[CourierDelivery]:
        """Open deliveries of my company (to pick up, on the way), with their addresses;
        ``after``: the position a report answered, to see it applied."""
        return await open_deliveries(services, principal, after)

    @post(
        "/deliveries/{delivery_id:uuid}/events",
        operation_id="reportDeliveryEvent",
        status_code=200,
    )
    async def report(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        delivery_id: FromPath[UUID],
        data: JSONBody[DeliveryReport],
    ) -> DeliveryRecorded:
        """A scan or an outcome; 409 when it cannot happen now, 404 for another company's."""
        event = Report(
            kind=data.type,
            at=data.at,
            location=data.location,
            note=data.note,
            signed_by=data.signed_by or "",
            file_id=str(data.file_id) if data.file_id else None,
            reason=data.reason,
        )
        return await deliveries.report(services, principal, delivery_id, event)


class DeliveryAdminController(Controller):
    """Supervisors unstick failed deliveries."""

    path = "/api/v1/admin/applications/{application_id:uuid}"
    tags = ["supervision"]  # noqa: RUF012
    guards = [requires("supervisor", "admin")]  # noqa: RUF012

    @post("/redispatch", operation_id="redispatchDelivery", status_code=200)
    async def redispatch(
        self, services: ServicesDep, principal: PrincipalDep, application_id: FromPath[UUID]
    ) -> Redispatched:
        """After a final failure: a new courier order, booked right after (a new waybill)."""
        return await deliveries.redispatch(services, principal, application_id)

    @post("/switch-to-pickup", operation_id="switchToPickup", status_code=200)
    async def switch_to_pickup(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Reason],
    ) -> CommandAccepted:
        """The citizen collects the result at the window instead; an open order is cancelled."""
        return await deliveries.switch_to_pickup(services, principal, application_id, data.reason)


class CourierWebhookController(Controller):
    """Route pushes (路由推送) from courier companies: machines, not users.

    Companies sign nothing, so a push must come from an allowed address and carry our secret
    (``?token=`` in the URL configured at the company, or the ``X-Onewindow-Token`` header).
    """

    path = "/webhooks/courier"
    tags = ["webhooks"]  # noqa: RUF012

    @post(
        "/{company:str}",
        operation_id="courierRoutePush",
        status_code=200,
        request_max_body_size=_PUSH_BODY_LIMIT,
        responses=problems(
            401, 403, s401="No valid push token", s403="Not from an allowed address"
        ),
        operation_class=raw_body("application/json", "The courier company's route push"),
    )
    async def push(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        company: FromPath[str],
        token: FromQuery[str | None] = None,
    ) -> Response[dict[str, str]]:
        """Apply the routes in order; a replay is answered as a success and changes nothing."""
        couriers = services.couriers
        adapter = couriers.companies.get(company) if couriers is not None else None
        if couriers is None or adapter is None:
            raise NotFound("没有该快递公司")
        host = request.client.host if request.client else None
        if not couriers.push_allowed_from(host):
            _log.warning("route push for %s refused from %s", company, host)
            raise Forbidden("不接受来自该地址的推送")
        if not couriers.push_token_matches(token or request.headers.get(_TOKEN_HEADER)):
            _log.warning("route push for %s with a bad or missing token from %s", company, host)
            raise Unauthenticated("需要有效的推送令牌")
        try:
            routes = adapter.parse_push(await request.body())
        except PushRejected as exc:
            raise ValidationFailed(f"无法解析的路由推送：{exc}", {"body": str(exc)}) from exc
        outcome = await deliveries.apply_routes(services, company, routes)
        _log.info("route push for %s: %s", company, outcome)
        return Response(adapter.push_accepted(), status_code=200, media_type="application/json")
