"""Mini-program login: exchange a ``wx.login()`` code for the user's openid (code2Session)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import msgspec

from integrations.wechat.errors import WeChatUnavailable
from integrations.wechat.http import call_wechat, wechat_client

__all__ = ["WeChatLogin", "WeChatSession", "WechatpyLogin"]


class WeChatSession(msgspec.Struct, frozen=True):
    """Who logged in. The ``session_key`` is deliberately absent: it never leaves the adapter."""

    openid: str
    unionid: str | None = None


class WeChatLogin(Protocol):
    """Port for the code2Session exchange; the service layer depends on this, not on wechatpy."""

    async def code_to_session(self, code: str) -> WeChatSession:
        """Exchange a ``wx.login()`` code; raise ``InvalidLoginCode`` if WeChat refuses it."""
        ...


class WechatpyLogin:
    """:class:`WeChatLogin` backed by wechatpy, run in a worker thread.

    ``api_base_url`` (e.g. ``http://127.0.0.1:8123/``) sends every wechatpy call there
    instead of ``https://api.weixin.qq.com/``, and refuses any other destination
    (see :mod:`integrations.wechat.http`).
    """

    def __init__(
        self,
        appid: str,
        secret: str,
        api_base_url: str | None = None,
        *,
        timeout: float = 5.0,
    ) -> None:
        self._appid = appid
        self._secret = secret
        self._api_base_url = api_base_url
        self._timeout = timeout
        self._client: Any = None  # built on first use, never at import or construction

    async def code_to_session(self, code: str) -> WeChatSession:
        """Exchange ``code`` for the user's openid (and unionid when WeChat sends one).

        Raises ``InvalidLoginCode`` (40029, 40163, 40226) or ``WeChatError`` when WeChat
        refuses, ``WeChatUnavailable`` when it cannot be reached or is failing.
        """
        client = self._wechat_client()
        # wechatpy is synchronous (requests); keep it off the event loop.
        result = await asyncio.to_thread(call_wechat, lambda: client.wxa.code_to_session(code))
        return _session_from(result)

    def _wechat_client(self) -> Any:
        if self._client is None:
            self._client = wechat_client(
                self._appid, self._secret, self._api_base_url, timeout=self._timeout
            )
        return self._client


def _session_from(result: object) -> WeChatSession:
    if not isinstance(result, dict):
        msg = "WeChat answered code2Session with something that is not a JSON object"
        raise WeChatUnavailable(msg)
    openid = result.get("openid")
    if not isinstance(openid, str) or not openid:
        msg = "WeChat answered code2Session without an openid"
        raise WeChatUnavailable(msg)
    unionid = result.get("unionid")
    return WeChatSession(openid=openid, unionid=unionid if isinstance(unionid, str) else None)
