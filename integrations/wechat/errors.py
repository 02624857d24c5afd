"""Errors raised by the WeChat adapters, independent of the client library underneath."""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AccessTokenInvalid",
    "InvalidLoginCode",
    "NotSubscribed",
    "WeChatError",
    "WeChatUnavailable",
    "wechat_error_for",
]


class WeChatError(Exception):
    """WeChat answered, and the answer was an error (a non-zero ``errcode``)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class InvalidLoginCode(WeChatError):
    """The ``wx.login()`` code cannot be exchanged: invalid, already used, or a high-risk user."""

    CODES: ClassVar[frozenset[int]] = frozenset(
        {
            40029,  # invalid code
            40163,  # code been used
            40226,  # high risk user
        }
    )


class AccessTokenInvalid(WeChatError):
    """The access token is invalid, not the latest one, or expired: fetch a new one."""

    CODES: ClassVar[frozenset[int]] = frozenset(
        {
            40001,  # invalid credential / access_token is invalid or not latest
            40014,  # invalid access_token
            42001,  # access_token expired
        }
    )


class NotSubscribed(WeChatError):
    """43101: the user has not accepted this template (or its one-time quota is used up).

    A normal outcome for a subscribe message, not a failure: nothing may be sent.
    """

    CODES: ClassVar[frozenset[int]] = frozenset({43101})


class WeChatUnavailable(Exception):
    """WeChat could not be reached or is failing: network error, timeout, HTTP 5xx, or busy
    (-1 system busy, 45009/45011 API quota reached): worth trying again later."""


def wechat_error_for(errcode: int, errmsg: str) -> WeChatError:
    """Return the most specific :class:`WeChatError` for an ``errcode`` sent by WeChat."""
    for kind in (InvalidLoginCode, AccessTokenInvalid, NotSubscribed):
        if errcode in kind.CODES:
            return kind(errcode, errmsg)
    return WeChatError(errcode, errmsg)
