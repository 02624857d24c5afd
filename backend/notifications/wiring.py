"""Builds the dispatcher with the real wechatpy adapters (pointed at the fake in sandbox)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.notifications.access_tokens import SharedAccessTokens
from backend.notifications.dispatcher import Dispatcher
from integrations.wechat.subscribe import WechatpyAccessTokenFetcher, WechatpySubscribeSender

if TYPE_CHECKING:
    import asyncpg

    from backend.settings import Settings
    from integrations.wechat.fake_server import FakeWeChat

__all__ = ["build_dispatcher"]


def build_dispatcher(
    settings: Settings, pool: asyncpg.Pool, fake: FakeWeChat | None = None
) -> Dispatcher:
    """A dispatcher sending through wechatpy with the access token shared in PostgreSQL, to
    the sandbox's ``fake`` WeChat when given, else to the configured one."""
    api_base_url: str | None
    if fake is not None:
        appid, secret, api_base_url = fake.appid, fake.secret, fake.base_url
    else:
        assert settings.wechat_appid
        assert settings.wechat_secret
        appid, secret = settings.wechat_appid, settings.wechat_secret
        api_base_url = settings.wechat_api_base_url
    fetcher = WechatpyAccessTokenFetcher(appid, secret, api_base_url)
    # every process of the app shares one token; but each sandbox process runs a fake of its
    # own, whose tokens mean nothing to another process's fake
    key = appid if fake is None else f"{appid}@{api_base_url}"
    tokens = SharedAccessTokens(pool, key, fetcher.fetch)
    sender = WechatpySubscribeSender(
        appid,
        secret,
        tokens,
        api_base_url,
        miniprogram_state=settings.wechat_miniprogram_state,
    )
    return Dispatcher(pool, sender, poll_seconds=settings.notification_poll_seconds)
