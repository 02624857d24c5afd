"""Subscribe-message templates (public), a citizen's subscriptions, and the sandbox's inbox."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.notifications import subscriptions
from backend.notifications.dto import (
    NotificationTemplate,
    SandboxMessage,
    SubscriptionQuota,
    Subscriptions,
)
from domain.errors import NotFound

# the steps of notification_templates.STEPS
Step = Literal["submit", "pay", "issue", "booking", "withdraw", "consult"]

__all__ = [
    "NotificationTemplatesController",
    "SandboxMessagesController",
    "SubscriptionsController",
]


class NotificationTemplatesController(Controller):
    path = "/api/v1/notification-templates"
    tags = ["notifications"]  # noqa: RUF012

    @get("/", operation_id="listNotificationTemplates")
    async def list_templates(
        self,
        services: ServicesDep,
        step: Annotated[Step | None, QueryParameter(name="step")] = None,
    ) -> list[NotificationTemplate]:
        """One entry per notifying event; public, since the ids ship in the mini-program.

        With ``step`` (submit, pay, issue, booking, withdraw): the templates to pass to
        ``wx.requestSubscribeMessage`` at that step, each once and at most 3."""
        templates = services.notification_templates
        specs = templates.for_step(step) if step is not None else list(templates)
        return [
            NotificationTemplate(
                spec.template_id,
                spec.event,
                spec.title,
                spec.long_term,
                templates.steps_of(spec.template_id),
            )
            for spec in specs
        ]


class SubscriptionsController(Controller):
    path = "/api/v1/me/subscriptions"
    tags = ["notifications"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post("/", operation_id="recordSubscriptions", status_code=200)
    async def record(
        self, services: ServicesDep, principal: PrincipalDep, data: JSONBody[Subscriptions]
    ) -> list[SubscriptionQuota]:
        """Record what ``wx.requestSubscribeMessage`` accepted: one message per one-time accept."""
        return await subscriptions.record_accepted(
            services.pool, services.notification_templates, UUID(principal.id), data.accepted
        )

    @get("/", operation_id="listSubscriptions")
    async def list_quota(
        self, services: ServicesDep, principal: PrincipalDep
    ) -> list[SubscriptionQuota]:
        """How many messages of each template may still be sent to me."""
        return await subscriptions.quotas(
            services.pool, services.notification_templates, UUID(principal.id)
        )


class SandboxMessagesController(Controller):
    """Registered in sandbox mode only."""

    path = "/api/v1/sandbox/messages"
    tags = ["sandbox"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @get("/", operation_id="listSandboxMessages")
    async def list_messages(
        self, services: ServicesDep, principal: PrincipalDep, openid: FromQuery[str | None] = None
    ) -> list[SandboxMessage]:
        """The subscribe messages the fake WeChat received for me, oldest first (``openid``, if
        given, must be mine: nobody reads another citizen's inbox)."""
        if services.fake_wechat is None:
            raise NotFound("仅沙箱模式提供")
        mine = await services.pool.fetchval(
            "SELECT openid FROM citizens WHERE id = $1", UUID(principal.id)
        )
        if mine is None or (openid is not None and openid != mine):
            return []
        return [
            SandboxMessage(m.openid, m.template_id, dict(m.data), m.page, m.miniprogram_state, m.at)
            for m in services.fake_wechat.messages(mine)
        ]
