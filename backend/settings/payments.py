"""WeChat Pay settings (``ONEWINDOW_WECHAT_PAY_*``, ``ONEWINDOW_PAYMENT_*``), in ``Settings``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

__all__ = ["DEFAULT_PUBLIC_BASE_URL", "SANDBOX_API_KEY", "SANDBOX_MCH_ID", "PaymentSettings"]

# The sandbox merchant (the fake WeChat Pay knows it); never a real one.
SANDBOX_MCH_ID = "1900000109"
SANDBOX_API_KEY = "onewindowsandboxmerchantkey00000"  # 32 characters, sandbox only

# where the app is reached when nothing says otherwise (``serve``'s default address)
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"

SignType = Literal["MD5", "HMAC-SHA256"]


class PaymentSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The merchant, where WeChat Pay notifies us, and the timing of orders.

    In sandbox mode the merchant defaults to the sandbox one and a fake WeChat Pay on loopback
    stands in (unless ``api_base_url`` points elsewhere); outside it, payments are unavailable
    until ``mch_id`` and ``api_key`` are set.
    """

    mch_id: str | None = None  # 商户号
    api_key: str | None = None  # 商户 API 密钥 (v2)
    sign_type: SignType = "MD5"
    api_base_url: str | None = None  # None: https://api.mch.weixin.qq.com/ (or the sandbox fake)
    cert_path: str | None = None  # 商户证书 (refunds need it in production)
    cert_key_path: str | None = None
    # where the app is reached from outside; notification URLs default to paths under it.
    # None: not set (the sandbox then follows where ``serve`` listens, see Settings.served_at)
    public_base_url: str | None = None
    notify_url: str | None = None
    refund_notify_url: str | None = None
    expiry_minutes: int = 30  # an unpaid order is closed after this long (WeChat: >= 5)
    reconcile_after_seconds: float = 300.0  # an open order without notice is queried after this
    job_interval_seconds: float = 60.0  # how often the reconciler runs
    notify_timeout_seconds: float = 4.0  # a notification is answered within this (WeChat: 5 s)
    timeout_seconds: float = 5.0  # each call to WeChat Pay

    def __post_init__(self) -> None:
        if self.expiry_minutes < 5:
            msg = "WeChat Pay orders live at least 5 minutes (ONEWINDOW_PAYMENT_EXPIRY_MINUTES)"
            raise ValueError(msg)

    @property
    def base_url(self) -> str:
        """Where the app is reached: ``public_base_url``, or ``serve``'s default address."""
        return (self.public_base_url or DEFAULT_PUBLIC_BASE_URL).rstrip("/")

    @property
    def pay_notify_url(self) -> str:
        """Where WeChat Pay POSTs payment notifications."""
        return self.notify_url or f"{self.base_url}/webhooks/wechat/pay"

    @property
    def refund_url(self) -> str:
        """Where WeChat Pay POSTs refund notifications."""
        return self.refund_notify_url or f"{self.base_url}/webhooks/wechat/refund"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PaymentSettings:
        """Read the variables (unset ones keep their defaults)."""
        sign_type = env.get("ONEWINDOW_WECHAT_PAY_SIGN_TYPE", "MD5")
        if sign_type not in ("MD5", "HMAC-SHA256"):
            msg = f"ONEWINDOW_WECHAT_PAY_SIGN_TYPE must be MD5 or HMAC-SHA256: {sign_type!r}"
            raise ValueError(msg)
        return cls(
            mch_id=env.get("ONEWINDOW_WECHAT_PAY_MCH_ID") or None,
            api_key=env.get("ONEWINDOW_WECHAT_PAY_API_KEY") or None,
            sign_type=sign_type,  # type: ignore[arg-type]  # checked just above
            api_base_url=env.get("ONEWINDOW_WECHAT_PAY_API_BASE_URL") or None,
            cert_path=env.get("ONEWINDOW_WECHAT_PAY_CERT") or None,
            cert_key_path=env.get("ONEWINDOW_WECHAT_PAY_CERT_KEY") or None,
            public_base_url=env.get("ONEWINDOW_PUBLIC_BASE_URL") or None,
            notify_url=env.get("ONEWINDOW_WECHAT_PAY_NOTIFY_URL") or None,
            refund_notify_url=env.get("ONEWINDOW_WECHAT_PAY_REFUND_NOTIFY_URL") or None,
            expiry_minutes=int(env.get("ONEWINDOW_PAYMENT_EXPIRY_MINUTES", 30)),
            reconcile_after_seconds=float(
                env.get("ONEWINDOW_PAYMENT_RECONCILE_AFTER_SECONDS", 300)
            ),
            job_interval_seconds=float(env.get("ONEWINDOW_PAYMENT_JOB_INTERVAL_SECONDS", 60)),
            notify_timeout_seconds=float(env.get("ONEWINDOW_PAYMENT_NOTIFY_TIMEOUT_SECONDS", 4)),
            timeout_seconds=float(env.get("ONEWINDOW_WECHAT_PAY_TIMEOUT_SECONDS", 5)),
        )
