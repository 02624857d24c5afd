"""Fees with WeChat Pay: the citizen's order, an admin's refund, WeChat Pay's notifications and
the sandbox's "pay now" button."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody

from backend.handling import CommandAccepted
from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.http.idempotency import idempotent_post
from backend.http.openapi import raw_body
from backend.http.rate_limit import rate_limit
from backend.payments import orders as payments
from backend.payments import refunds, webhooks
from backend.payments.dto import PaymentOrder, RefundRequest, SandboxPayment
from backend.payments.sandbox import sandbox_pay
from integrations.wechat.pay_wire import MAX_XML_BYTES

__all__ = [
    "PaymentsController",
    "RefundsController",
    "SandboxPayController",
    "WeChatPayWebhooks",
]

_XML = "text/xml; charset=utf-8"
# WeChat Pay reads these replies, not problem+json: 400 for a notification it must not send
# again as it is (unreadable, bad signature), 503 to have it sent again later
_XML_REPLIES = {
    400: ResponseSpec(
        str,
        description="FAIL: unreadable or badly signed",
        media_type=_XML,
        generate_examples=False,  # random strings made the document differ per build
    ),
    503: ResponseSpec(
        str, description="FAIL: try again later", media_type=_XML, generate_examples=False
    ),
}


class PaymentsController(Controller):
    path = "/api/v1/applications"
    tags = ["payments"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post(
        "/{application_id:uuid}/payment",
        operation_id="payFee",
        status_code=201,
        guards=[rate_limit("create")],
        responses={
            200: ResponseSpec(
                PaymentOrder, description="The order was open already", generate_examples=False
            )
        },
    )
    async def pay(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
    ) -> Response[PaymentOrder]:
        """一键缴费: the open WeChat Pay order of the fee (201 when made now, 200 when it was
        open already); an expired one is closed and replaced."""
        client_ip = request.client.host if request.client else "127.0.0.1"
        return await idempotent_post(
            request,
            services,
            principal,
            idempotency_key,
            lambda remember: payments.order(
                services, principal, application_id, client_ip, remember
            ),
        )


class RefundsController(Controller):
    path = "/api/v1/admin/applications"
    tags = ["payments"]  # noqa: RUF012
    guards = [requires("supervisor", "admin")]  # noqa: RUF012

    @post("/{application_id:uuid}/refund", operation_id="refundFee", status_code=200)
    async def refund(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[RefundRequest],
    ) -> CommandAccepted:
        """Give the whole fee back through WeChat Pay; the citizen's progress shows it once
        WeChat confirms. ``status`` is the payment's (``refunding`` until WeChat says the money
        is back)."""
        return await refunds.refund(services, principal, application_id, data.reason)


class WeChatPayWebhooks(Controller):
    """WeChat Pay's servers call these: no bearer token; the signature (or the encryption with
    our key) is the authentication."""

    path = "/webhooks/wechat"
    tags = ["webhooks"]  # noqa: RUF012

    @post(
        "/pay",
        operation_id="wechatPayNotification",
        status_code=200,
        request_max_body_size=MAX_XML_BYTES,
        media_type=_XML,
        responses=_XML_REPLIES,
        operation_class=raw_body(_XML, "WeChat Pay v2 payment notification (signed XML)"),
    )
    async def pay(self, request: Request[Any, Any, Any], services: ServicesDep) -> Response[bytes]:
        """A payment notification (XML); the answer is the XML WeChat Pay expects."""
        status, body = await webhooks.pay_notification(services, await request.body())
        return Response(body, status_code=status, media_type=_XML)

    @post(
        "/refund",
        operation_id="wechatRefundNotification",
        status_code=200,
        request_max_body_size=MAX_XML_BYTES,
        media_type=_XML,
        responses=_XML_REPLIES,
        operation_class=raw_body(
            _XML, "WeChat Pay v2 refund notification (XML, req_info encrypted)"
        ),
    )
    async def refund(
        self, request: Request[Any, Any, Any], services: ServicesDep
    ) -> Response[bytes]:
        """A refund notification (XML, ``req_info`` encrypted with our key)."""
        status, body = await webhooks.refund_notification(services, await request.body())
        return Response(body, status_code=status, media_type=_XML)


class SandboxPayController(Controller):
    """Registered in sandbox mode only."""

    path = "/api/v1/sandbox/pay"
    tags = ["sandbox"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post("/{out_trade_no:str}", operation_id="sandboxPay", status_code=200)
    async def pay(
        self, services: ServicesDep, principal: PrincipalDep, out_trade_no: FromPath[str]
    ) -> SandboxPayment:
        """The fake WeChat Pay pays my order and notifies the app over HTTP."""
        return await sandbox_pay(services, principal, out_trade_no)
