"""The one way our adapters build a wechatpy client and call it.

wechatpy hard-codes ``https://api.weixin.qq.com/`` in several places (the token URL, per-API
``API_BASE_URL`` class attributes, absolute URLs) and its token fetch has no timeout; its
requests session is the one seam every call goes through. :func:`wechat_client` replaces that
session with :class:`PinnedSession`, which adds a default timeout and, given an ``api_base_url``
(the sandbox's fake WeChat, or a proxy), sends every call there and refuses any other host.

:func:`call_wechat` runs a wechatpy call (in a worker thread: wechatpy is synchronous) and
translates its exceptions into ours: ``WeChatError`` (or a subclass) when WeChat answered an
error code, ``WeChatUnavailable`` when it could not be reached, failed, or was busy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from integrations.wechat.errors import WeChatError, WeChatUnavailable, wechat_error_for

__all__ = ["BUSY_CODES", "PinnedSession", "call_wechat", "wechat_client", "with_trailing_slash"]

WECHAT_API_ORIGIN = "https://api.weixin.qq.com/"
# "Try later" answers: system busy, daily and per-minute API quota reached.
BUSY_CODES = frozenset({-1, 45009, 45011})

T = TypeVar("T")


def wechat_client(
    appid: str,
    secret: str,
    api_base_url: str | None = None,
    *,
    timeout: float = 5.0,
    auto_retry: bool = True,
) -> Any:
    """A wechatpy ``WeChatClient`` whose every request goes through a :class:`PinnedSession`.

    ``auto_retry=False`` stops wechatpy from fetching an access token of its own when WeChat
    answers 40001/42001: callers that share a token between processes refresh it themselves.
    """
    client = WeChatClient(appid, secret, timeout=timeout, auto_retry=auto_retry)
    base = with_trailing_slash(api_base_url) if api_base_url else None
    client._http = PinnedSession(timeout, base)
    return client


class PinnedSession(requests.Session):
    """requests session with a default timeout that can pin every call to one base URL."""

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
        if url.startswith(WECHAT_API_ORIGIN):
            return base + url.removeprefix(WECHAT_API_ORIGIN)
        # A programming error, not an outage: never let a sandbox leak to a real host.
        msg = f"refusing to call {url}: WeChat calls are pinned to {base}"
        raise RuntimeError(msg)


def call_wechat(call: Callable[[], T]) -> T:
    """Run a blocking wechatpy call and translate its failures (call it in a worker thread)."""
    try:
        return call()
    except WeChatClientException as exc:
        raise translated(exc) from exc
    except requests.RequestException as exc:  # connection refused, timeout, bad JSON
        msg = f"WeChat unreachable: {exc}"
        raise WeChatUnavailable(msg) from exc


def translated(exc: Any) -> WeChatError | WeChatUnavailable:
    """Our exception for a ``WeChatClientException``."""
    if exc.errcode is None:  # wechatpy's way of saying the HTTP status was not 2xx
        status = exc.response.status_code if exc.response is not None else "no response"
        return WeChatUnavailable(f"WeChat answered HTTP {status}")
    errcode, errmsg = int(exc.errcode), str(exc.errmsg)
    if errcode in BUSY_CODES:
        return WeChatUnavailable(f"WeChat busy ({errcode}): {errmsg}")
    return wechat_error_for(errcode, errmsg)


def with_trailing_slash(url: str) -> str:
    """``http://host:1`` -> ``http://host:1/``."""
    return url if url.endswith("/") else url + "/"
