"""Subscribe messages (订阅消息) through wechatpy, with an access token shared by all processes.

The token comes from an :class:`AccessTokens` source (the backend keeps it in PostgreSQL) and is
passed on each call, never fetched by wechatpy itself: the client is built with
``auto_retry=False``, because a wechatpy client that fetched its own token on 40001 would
invalidate the one every other process uses. On 40001/40014/42001 the sender asks the source
for a fresh token and tries once more.

``client.wxa.send_subscribe_message`` in wechatpy 1.8.18 cannot pass ``miniprogram_state`` or
``lang``, so the sender posts ``message/subscribe/send`` itself through the same client.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal, Protocol

import msgspec

from integrations.wechat.errors import AccessTokenInvalid, WeChatError, WeChatUnavailable
from integrations.wechat.http import call_wechat, wechat_client

__all__ = [
    "AccessToken",
    "AccessTokens",
    "SubscribeMessage",
    "SubscribeSender",
    "WechatpyAccessTokenFetcher",
    "WechatpySubscribeSender",
]

MiniprogramState = Literal["developer", "trial", "formal"]


class AccessToken(msgspec.Struct, frozen=True):
    """A token as ``/cgi-bin/token`` hands it out."""

    value: str
    expires_in: int


class AccessTokens(Protocol):
    """Where the sender gets its access token from."""

    async def current(self) -> str:
        """A token that is valid for a while yet."""
        ...

    async def refresh(self, stale: str) -> str:
        """A token other than ``stale``, which WeChat just refused."""
        ...


class SubscribeMessage(msgspec.Struct, frozen=True):
    """One message to one user. ``data`` maps template keys (``thing1``) to their values."""

    openid: str
    template_id: str
    data: dict[str, str]
    page: str | None = None


class SubscribeSender(Protocol):
    """Port the dispatcher sends through."""

    async def send(self, message: SubscribeMessage) -> None:
        """Send, or raise ``NotSubscribed`` (43101), ``WeChatError`` or ``WeChatUnavailable``."""
        ...


class WechatpyAccessTokenFetcher:
    """Fetches a new access token from ``/cgi-bin/token`` (client_credential) via wechatpy."""

    def __init__(
        self, appid: str, secret: str, api_base_url: str | None = None, *, timeout: float = 5.0
    ) -> None:
        self._args = (appid, secret, api_base_url)
        self._timeout = timeout
        self._client: Any = None

    async def fetch(self) -> AccessToken:
        """A new token; ``WeChatUnavailable`` when WeChat cannot hand one out now."""
        if self._client is None:
            self._client = wechat_client(*self._args, timeout=self._timeout, auto_retry=False)
        client = self._client
        try:
            result = await asyncio.to_thread(call_wechat, client.fetch_access_token)
        except WeChatError as exc:  # wrong appid/secret, IP not whitelisted: retry later
            msg = f"cannot fetch an access token: {exc}"
            raise WeChatUnavailable(msg) from exc
        if not isinstance(result, dict) or not isinstance(result.get("access_token"), str):
            msg = "WeChat answered /cgi-bin/token without an access_token"
            raise WeChatUnavailable(msg)
        return AccessToken(result["access_token"], int(result.get("expires_in") or 7200))


class WechatpySubscribeSender:
    """:class:`SubscribeSender` backed by wechatpy, run in a worker thread."""

    def __init__(
        self,
        appid: str,
        secret: str,
        tokens: AccessTokens,
        api_base_url: str | None = None,
        *,
        timeout: float = 5.0,
        miniprogram_state: MiniprogramState = "formal",
        lang: str = "zh_CN",
    ) -> None:
        self._args = (appid, secret, api_base_url)
        self._tokens = tokens
        self.timeout = timeout
        self._state = miniprogram_state
        self._lang = lang
        self._client: Any = None

    async def send(self, message: SubscribeMessage) -> None:
        """Send ``message``; a refused token is refreshed and the call made once more.

        Raises ``NotSubscribed`` (43101: no subscription or quota), ``AccessTokenInvalid``
        (still refused after a refresh), ``WeChatError`` (any other error code, e.g. 47003 bad
        data, 40003 bad openid, 40037 bad template id) or ``WeChatUnavailable`` (network, HTTP
        5xx, busy).
        """
        token = await self._tokens.current()
        try:
            await self._post(token, message)
        except AccessTokenInvalid:
            token = await self._tokens.refresh(token)
            await self._post(token, message)

    async def _post(self, token: str, message: SubscribeMessage) -> None:
        if self._client is None:
            self._client = wechat_client(*self._args, timeout=self.timeout, auto_retry=False)
        client = self._client
        body: dict[str, Any] = {
            "touser": message.openid,
            "template_id": message.template_id,
            "data": {key: {"value": value} for key, value in message.data.items()},
            "miniprogram_state": self._state,
            "lang": self._lang,
        }
        if message.page:
            body["page"] = message.page

        def post() -> object:
            # the token goes in the query, so wechatpy never reads (or fetches) one itself
            result: object = client.post(
                "message/subscribe/send", params={"access_token": token}, data=body
            )
            return result

        result = await asyncio.to_thread(call_wechat, post)
        if not isinstance(result, dict):
            msg = "WeChat answered subscribe/send with something that is not a JSON object"
            raise WeChatUnavailable(msg)
