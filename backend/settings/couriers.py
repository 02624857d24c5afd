"""Courier settings (``ONEWINDOW_COURIER_*``, ``ONEWINDOW_SF_*``), part of ``Settings``."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from integrations.courier.sf import PRODUCTION_URL

__all__ = ["CourierSettings"]

_LOOPBACK = ("127.0.0.1/32", "::1/128")


class CourierSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Who delivers results, how we reach SF, and who may push routes to us.

    Without SF credentials the sandbox uses its fake SF; outside the sandbox nothing is booked
    (orders wait) until credentials are configured.
    """

    company: str = "sf"  # the company new orders go to
    max_attempts: int = 2  # failed attempts before a delivery needs a supervisor
    sf_partner_id: str | None = None  # 顾客编码
    sf_check_word: str | None = None  # 校验码
    sf_api_url: str = PRODUCTION_URL
    sf_monthly_card: str | None = None  # 月结卡号
    sender_phone: str = "12345"  # the departments' contact number printed on waybills
    timeout_seconds: float = 10.0
    poll_seconds: float = 5.0  # the booking dispatcher also wakes on NOTIFY
    # route pushes: the secret in the push URL (?token=...), and where pushes may come from
    push_token: str | None = None  # None: derived from the secret key in sandbox, else refused
    push_allow: tuple[str, ...] = _LOOPBACK  # CIDRs; SF's published push addresses in production
    push_url: str | None = None  # sandbox: where the fake SF pushes routes (our webhook)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CourierSettings:
        """Read the variables (unset ones keep their defaults)."""
        allow = env.get("ONEWINDOW_COURIER_PUSH_ALLOW")
        return cls(
            company=env.get("ONEWINDOW_COURIER_COMPANY", "sf"),
            max_attempts=int(env.get("ONEWINDOW_COURIER_MAX_ATTEMPTS", 2)),
            sf_partner_id=env.get("ONEWINDOW_SF_PARTNER_ID") or None,
            sf_check_word=env.get("ONEWINDOW_SF_CHECK_WORD") or None,
            sf_api_url=env.get("ONEWINDOW_SF_API_URL") or PRODUCTION_URL,
            sf_monthly_card=env.get("ONEWINDOW_SF_MONTHLY_CARD") or None,
            sender_phone=env.get("ONEWINDOW_COURIER_SENDER_PHONE", "12345"),
            timeout_seconds=float(env.get("ONEWINDOW_COURIER_TIMEOUT_SECONDS", 10.0)),
            poll_seconds=float(env.get("ONEWINDOW_COURIER_POLL_SECONDS", 5.0)),
            push_token=env.get("ONEWINDOW_COURIER_PUSH_TOKEN") or None,
            push_allow=tuple(a.strip() for a in allow.split(",") if a.strip())
            if allow is not None
            else _LOOPBACK,
            push_url=env.get("ONEWINDOW_COURIER_PUSH_URL") or None,
        )
