"""Errors raised by the WeChat adapters, independent of the client library underneath."""

from __future__ import annotations

from typing import ClassVar

__all__ = ["InvalidLoginCode", "WeChatError", "WeChatUnavailable", "wechat_error_for"]


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


class WeChatUnavailable(Exception):
    """WeChat could not be reached or is failing: network error, timeout, HTTP 5xx, busy (-1)."""


def wechat_error_for(errcode: int, errmsg: str) -> WeChatError:
    """Return the most specific :class:`WeChatError` for an ``errcode`` sent by WeChat."""
    if errcode in InvalidLoginCode.CODES:
        return InvalidLoginCode(errcode, errmsg)
    return WeChatError(errcode, errmsg)
