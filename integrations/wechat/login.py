"""Mini-program login: exchange a ``wx.login()`` code for the user's openid (code2Session)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import msgspec
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from integrations.wechat.errors import WeChatError, WeChatUnavailable, wechat_error_for

__all__ = ["WeChatLogin", "WeChatSession", "WechatpyLogin"]

_WECHAT_API_ORIGIN = "https://api.weixin.qq.com/"
_SYSTEM_BUSY = -1


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
    instead of ``https://api.weixin.qq.com/``, and refuses any other destination.
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
        self._api_base_url = _with_trailing_slash(api_base_url) if api_base_url else None
        self._timeout = timeout
        self._client: Any = None  # built on first use, never at import or construction

    async def code_to_session(self, code: str) -> WeChatSession:
        """Exchange ``code`` for the user's openid (and unionid when WeChat sends one).

        Raises ``InvalidLoginCode`` (40029, 40163, 40226) or ``WeChatError`` when WeChat
        refuses, ``WeChatUnavailable`` when it cannot be reached or is failing.
        """
        client = self._wechat_client()
        # wechatpy is synchronous (requests); keep it off the event loop.
        result = await asyncio.to_thread(_call_code_to_session, client, code)
        return _session_from(result)

    def _wechat_client(self) -> Any:
        if self._client is None:
            client = WeChatClient(self._appid, self._secret, timeout=self._timeout)
            # wechatpy hard-codes https://api.weixin.qq.com/ in several places (the token URL,
            # per-API API_BASE_URL class attributes, absolute URLs) and its token fetch has no
            # timeout; its requests session is the one seam every call goes through.
            client._http = _WeChatHttp(self._timeout, self._api_base_url)
            self._client = client
        return self._client


class _WeChatHttp(requests.Session):
    """requests session with a default timeout that can pin every call to a sandbox base URL."""

    def __init__(self, timeout: float, api_base_url: str | None) -> None:
        super().__init__()
        self._timeout = timeout
        self._api_base_url = api_base_url

    def request(
        self, method: str, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if not args and kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        pinned = self._pinned(url if isinstance(url, str) else url.decode())
        return super().request(method, pinned, *args, **kwargs)

    def _pinned(self, url: str) -> str:
        base = self._api_base_url
        if base is None or url.startswith(base):
            return url
        if url.startswith(_WECHAT_API_ORIGIN):
            return base + url.removeprefix(_WECHAT_API_ORIGIN)
        # A programming error, not an outage: never let a sandbox leak to a real host.
        msg = f"refusing to call {url}: WeChat calls are pinned to {base}"
        raise RuntimeError(msg)


def _call_code_to_session(client: Any, code: str) -> object:
    try:
        result: object = client.wxa.code_to_session(code)
    except WeChatClientException as exc:
        raise _translated(exc) from exc
    except requests.RequestException as exc:  # connection refused, timeout, bad JSON
        msg = f"WeChat unreachable: {exc}"
        raise WeChatUnavailable(msg) from exc
    return result


def _translated(exc: Any) -> WeChatError | WeChatUnavailable:
    if exc.errcode is None:  # wechatpy's way of saying the HTTP status was not 2xx
        status = exc.response.status_code if exc.response is not None else "no response"
        return WeChatUnavailable(f"WeChat answered HTTP {status}")
    errcode, errmsg = int(exc.errcode), str(exc.errmsg)
    if errcode == _SYSTEM_BUSY:
        return WeChatUnavailable(f"WeChat system busy ({errcode}): {errmsg}")
    return wechat_error_for(errcode, errmsg)


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


def _with_trailing_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
