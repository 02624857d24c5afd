"""Builds the WeChat Pay adapter: wechatpy, pointed at a fake WeChat Pay on loopback in sandbox."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from backend.settings.payments import SANDBOX_API_KEY, SANDBOX_MCH_ID, PaymentSettings
from integrations.wechat.fake_pay import FakeWeChatPay
from integrations.wechat.pay import WeChatPayGateway, WechatpyPay

if TYPE_CHECKING:
    from backend.settings import Settings

__all__ = ["Payments", "open_payments"]

_log = logging.getLogger(__name__)


@dataclass
class Payments:
    """The WeChat Pay adapter and its settings."""

    gateway: WeChatPayGateway
    settings: PaymentSettings
    fake: FakeWeChatPay | None = None  # sandbox: the fake the adapter talks to


@contextlib.contextmanager
def open_payments(
    settings: Settings, appid: str | None, clock: Callable[[], datetime]
) -> Iterator[Payments | None]:
    """The adapter (None when no merchant is configured outside the sandbox); in sandbox a fake
    WeChat Pay serves on loopback until exit, on the app's clock."""
    config = settings.payment
    fake: FakeWeChatPay | None = None
    mch_id, api_key, base = config.mch_id, config.api_key, config.api_base_url
    if settings.sandbox:
        mch_id, api_key = mch_id or SANDBOX_MCH_ID, api_key or SANDBOX_API_KEY
    if not (appid and mch_id and api_key):
        _log.warning("no WeChat Pay merchant configured: fees cannot be paid online")
        yield None
        return
    with contextlib.ExitStack() as stack:
        if settings.sandbox and base is None:
            fake = FakeWeChatPay(appid, mch_id, api_key, clock=clock)
            fake.start()
            stack.callback(fake.stop)
            base = fake.base_url
            _log.info("sandbox mode: fake WeChat Pay on %s", base)
        gateway = WechatpyPay(
            appid,
            mch_id,
            api_key,
            api_base_url=base,
            sign_type=config.sign_type,
            mch_cert=config.cert_path,
            mch_key=config.cert_key_path,
            timeout=config.timeout_seconds,
        )
        yield Payments(gateway, config, fake)
