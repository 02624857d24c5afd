"""WeChat integration: mini-program login, plus a local fake of the WeChat API."""

from __future__ import annotations

from integrations.wechat.errors import InvalidLoginCode, WeChatError, WeChatUnavailable
from integrations.wechat.fake_server import FakeRequest, FakeResponse, FakeWeChat
from integrations.wechat.login import WeChatLogin, WechatpyLogin, WeChatSession

__all__ = [
    "FakeRequest",
    "FakeResponse",
    "FakeWeChat",
    "InvalidLoginCode",
    "WeChatError",
    "WeChatLogin",
    "WeChatSession",
    "WeChatUnavailable",
    "WechatpyLogin",
]
