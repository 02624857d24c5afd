"""Request and response bodies of notification templates and subscriptions (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from backend.http.dto import Body, Dto

__all__ = ["NotificationTemplate", "SandboxMessage", "SubscriptionQuota", "Subscriptions"]


class NotificationTemplate(Dto, frozen=True):
    """What the mini-program passes to ``wx.requestSubscribeMessage``; ``steps``: at which of
    the citizen's steps (submit, pay, issue, booking, withdraw) to ask for it."""

    template_id: str
    event: str
    title: str
    long_term: bool
    steps: tuple[str, ...] = ()


class Subscriptions(Body, frozen=True):
    """The template ids ``wx.requestSubscribeMessage`` reported as ``accept``."""

    accepted: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=128)]], msgspec.Meta(max_length=20)
    ]


class SubscriptionQuota(Dto, frozen=True):
    """How many messages of a template may still be sent (``None``: long-term, no limit)."""

    template_id: str
    title: str
    long_term: bool
    remaining: int | None


class SandboxMessage(Dto, frozen=True):
    """A subscribe message the sandbox's fake WeChat received."""

    openid: str
    template_id: str
    data: dict[str, Any]
    page: str | None
    miniprogram_state: str | None
    at: datetime
