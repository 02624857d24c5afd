"""WeChat integration: mini-program login, subscribe messages, and a local fake of the API."""

from __future__ import annotations

from integrations.wechat.errors import (
    AccessTokenInvalid,
    InvalidLoginCode,
    NotSubscribed,
    WeChatError,
    WeChatUnavailable,
)
from integrations.wechat.fake_server import (
    FakeRequest,
    FakeResponse,
    FakeWeChat,
    ReceivedMessage,
)
from integrations.wechat.login import WeChatLogin, WechatpyLogin, WeChatSession
from integrations.wechat.subscribe import (
    AccessToken,
    AccessTokens,
    SubscribeMessage,
    SubscribeSender,
    WechatpyAccessTokenFetcher,
    WechatpySubscribeSender,
)

__all__ = [
    "AccessToken",
    "AccessTokenInvalid",
    "AccessTokens",
    "FakeRequest",
    "FakeResponse",
    "FakeWeChat",
    "InvalidLoginCode",
    "NotSubscribed",
    "ReceivedMessage",
    "SubscribeMessage",
    "SubscribeSender",
    "WeChatError",
    "WeChatLogin",
    "WeChatSession",
    "WeChatUnavailable",
    "WechatpyAccessTokenFetcher",
    "WechatpyLogin",
    "WechatpySubscribeSender",
]
