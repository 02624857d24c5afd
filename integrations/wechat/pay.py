"""WeChat Pay v2 (JSAPI, for the mini-program) through wechatpy, behind a small port.

wechatpy is synchronous (requests): every call runs in a worker thread. Its client is pointed at
``api_base_url`` (the sandbox's fake, or a proxy) by setting ``API_BASE_URL`` on the instance and
giving it a :class:`~integrations.wechat.http.PinnedSession`, which refuses any other host.

wechatpy does not check the signature of WeChat Pay's answers; this adapter does, for every
answer it acts on (an order query can mark a fee paid). Notifications are checked by
:meth:`WechatpyPay.verify_notification` in constant time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar
from xml.parsers.expat import ExpatError

import msgspec
import requests
from wechatpy.exceptions import InvalidAppIdException, InvalidMchIdException, WeChatPayException
from wechatpy.pay import WeChatPay

from domain.calendar import CST
from integrations.wechat.errors import WeChatError, WeChatUnavailable
from integrations.wechat.http import PinnedSession, with_trailing_slash
from integrations.wechat.pay_wire import SignType, nonce, sign, signature_ok

__all__ = [
    "InvalidRefundNotice",
    "OrderState",
    "PayOrder",
    "RefundNotice",
    "RefundState",
    "WeChatPayError",
    "WeChatPayGateway",
    "WechatpyPay",
]

# err_code answers that mean "try again later"
_BUSY = frozenset({"SYSTEMERROR", "BANKERROR", "FREQUENCY_LIMITED", "USERPAYING"})
T = TypeVar("T")


class WeChatPayError(WeChatError):
    """WeChat Pay refused a call; ``code`` is its ``err_code`` (or ``return_code``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(-2, f"{code}: {message}")
        self.code = code


class InvalidRefundNotice(ValueError):
    """A refund notification that cannot be decrypted, or is not for our merchant."""


class PayOrder(msgspec.Struct, frozen=True):
    """What a JSAPI unified order asks for (``amount`` in fen)."""

    out_trade_no: str
    amount: int
    description: str
    openid: str
    notify_url: str
    client_ip: str
    starts_at: datetime
    expires_at: datetime


class OrderState(msgspec.Struct, frozen=True):
    """An order as ``pay/orderquery`` reports it (``trade_state``: SUCCESS, NOTPAY, CLOSED,
    REFUND, REVOKED, USERPAYING, PAYERROR)."""

    out_trade_no: str
    trade_state: str
    appid: str
    mch_id: str
    amount: int | None = None
    transaction_id: str | None = None
    paid_at: str | None = None


class RefundState(msgspec.Struct, frozen=True):
    """A refund as ``pay/refundquery`` reports it (SUCCESS, PROCESSING, CHANGE, REFUNDCLOSE)."""

    out_refund_no: str
    status: str
    refund_id: str | None = None
    amount: int | None = None


class RefundNotice(msgspec.Struct, frozen=True):
    """The decrypted ``req_info`` of a refund notification."""

    out_trade_no: str
    out_refund_no: str
    refund_id: str
    status: str
    amount: int


class WeChatPayGateway(Protocol):
    """The port the payment commands use."""

    @property
    def appid(self) -> str: ...

    @property
    def mch_id(self) -> str: ...

    async def unified_order(self, order: PayOrder) -> str:
        """Place a JSAPI order; its ``prepay_id``. The same order again gets the same id."""
        ...

    def jsapi_params(self, prepay_id: str) -> dict[str, str]:
        """What the mini-program passes to ``wx.requestPayment``."""
        ...

    async def close(self, out_trade_no: str) -> Literal["closed", "paid"]:
        """Close an order; "paid" when WeChat says it was paid first."""
        ...

    async def query(self, out_trade_no: str) -> OrderState | None:
        """The order as WeChat knows it; None when WeChat has no such order."""
        ...

    async def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        total_fee: int,
        refund_fee: int,
        reason: str,
        notify_url: str,
    ) -> str:
        """Apply for a refund; its ``refund_id``. The same ``out_refund_no`` refunds once."""
        ...

    async def refund_query(self, out_refund_no: str) -> RefundState | None:
        """A refund as WeChat knows it; None when WeChat has no such refund."""
        ...

    def verify_notification(self, fields: Mapping[str, str]) -> bool:
        """Whether a payment notification is signed with our key (constant time)."""
        ...

    def refund_notice(self, fields: Mapping[str, str]) -> RefundNotice:
        """Decrypt a refund notification; ``InvalidRefundNotice`` when it is not ours."""
        ...


class WechatpyPay:
    """:class:`WeChatPayGateway` backed by ``wechatpy.pay.WeChatPay``.

    ``sign_type`` signs the unified order (and so its notification) and the JSAPI parameters;
    wechatpy signs the other calls with MD5, which WeChat accepts from every merchant.
    """

    def __init__(
        self,
        appid: str,
        mch_id: str,
        api_key: str,
        *,
        api_base_url: str | None = None,
        sign_type: SignType = "MD5",
        mch_cert: str | None = None,
        mch_key: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._appid = appid
        self._mch_id = mch_id
        self._key = api_key
        self._sign_type: SignType = sign_type
        self._pay = WeChatPay(
            appid, api_key, mch_id, mch_cert=mch_cert, mch_key=mch_key, timeout=timeout
        )
        base = with_trailing_slash(api_base_url) if api_base_url else None
        if base is not None:
            self._pay.API_BASE_URL = base
        self._pay._http = PinnedSession(timeout, base)

    @property
    def appid(self) -> str:
        return self._appid

    @property
    def mch_id(self) -> str:
        return self._mch_id

    async def unified_order(self, order: PayOrder) -> str:
        extra = {"sign_type": "HMAC-SHA256"} if self._sign_type == "HMAC-SHA256" else {}
        answer = await self._call(
            lambda: self._pay.order.create(
                trade_type="JSAPI",
                body=order.description,
                total_fee=order.amount,
                notify_url=order.notify_url,
                client_ip=order.client_ip,  # never None: wechatpy would look up its own IP
                user_id=order.openid,
                out_trade_no=order.out_trade_no,
                time_start=order.starts_at.astimezone(CST),
                time_expire=order.expires_at.astimezone(CST),
                **extra,
            ),
            self._sign_type,
        )
        prepay_id = answer.get("prepay_id")
        if not prepay_id:
            raise WeChatUnavailable("WeChat Pay answered the unified order without a prepay_id")
        return str(prepay_id)

    def jsapi_params(self, prepay_id: str) -> dict[str, str]:
        if self._sign_type == "MD5":
            params: dict[str, str] = self._pay.jsapi.get_jsapi_params(prepay_id)
            return params
        # wechatpy signs JSAPI parameters with MD5 only
        params = {
            "appId": self._appid,
            "timeStamp": str(int(time.time())),
            "nonceStr": nonce(),
            "signType": "HMAC-SHA256",
            "package": f"prepay_id={prepay_id}",
        }
        params["paySign"] = sign(params, self._key, "HMAC-SHA256")
        return params

    async def close(self, out_trade_no: str) -> Literal["closed", "paid"]:
        try:
            await self._call(lambda: self._pay.order.close(out_trade_no))
        except WeChatPayError as exc:
            if exc.code == "ORDERPAID":
                return "paid"
            if exc.code in ("ORDERCLOSED", "ORDERNOTEXIST"):
                return "closed"  # closed before, or never reached WeChat: nobody can pay it
            raise
        return "closed"

    async def query(self, out_trade_no: str) -> OrderState | None:
        try:
            answer = await self._call(lambda: self._pay.order.query(out_trade_no=out_trade_no))
        except WeChatPayError as exc:
            if exc.code == "ORDERNOTEXIST":
                return None
            raise
        return OrderState(
            out_trade_no=str(answer.get("out_trade_no") or out_trade_no),
            trade_state=str(answer.get("trade_state") or ""),
            appid=str(answer.get("appid") or ""),
            mch_id=str(answer.get("mch_id") or ""),
            amount=_int(answer.get("total_fee")),
            transaction_id=answer.get("transaction_id") or None,
            paid_at=answer.get("time_end") or None,
        )

    async def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        total_fee: int,
        refund_fee: int,
        reason: str,
        notify_url: str,
    ) -> str:
        answer = await self._call(
            lambda: self._pay.refund.apply(
                total_fee=total_fee,
                refund_fee=refund_fee,
                out_refund_no=out_refund_no,
                out_trade_no=out_trade_no,
                refund_desc=reason[:80],
                notify_url=notify_url,
            )
        )
        refund_id = answer.get("refund_id")
        if not refund_id:
            raise WeChatUnavailable("WeChat Pay answered the refund without a refund_id")
        return str(refund_id)

    async def refund_query(self, out_refund_no: str) -> RefundState | None:
        try:
            answer = await self._call(lambda: self._pay.refund.query(out_refund_no=out_refund_no))
        except WeChatPayError as exc:
            if exc.code == "REFUNDNOTEXIST":
                return None
            raise
        # one refund per out_refund_no: its fields carry the suffix _0
        return RefundState(
            out_refund_no=str(answer.get("out_refund_no_0") or out_refund_no),
            status=str(answer.get("refund_status_0") or ""),
            refund_id=answer.get("refund_id_0") or None,
            amount=_int(answer.get("refund_fee_0")),
        )

    def verify_notification(self, fields: Mapping[str, str]) -> bool:
        # a merchant that signs with HMAC-SHA256 takes no MD5 notice (no downgrade)
        accepted: tuple[SignType, ...] = (
            ("HMAC-SHA256",) if self._sign_type == "HMAC-SHA256" else ("MD5", "HMAC-SHA256")
        )
        return signature_ok(fields, self._key, accepted, default=self._sign_type)

    def refund_notice(self, fields: Mapping[str, str]) -> RefundNotice:
        try:
            data = self._pay.parse_refund_notify_result(dict(fields))
            return RefundNotice(
                out_trade_no=str(data["out_trade_no"]),
                out_refund_no=str(data["out_refund_no"]),
                refund_id=str(data["refund_id"]),
                status=str(data["refund_status"]),
                amount=int(data["refund_fee"]),
            )
        except (
            KeyError,
            ValueError,  # bad base64, bad padding, bad UTF-8, not a number
            TypeError,
            IndexError,  # an empty plaintext
            ExpatError,  # the decrypted text is not XML: another key
            InvalidAppIdException,
            InvalidMchIdException,
        ) as exc:
            raise InvalidRefundNotice(f"refund notification refused: {exc!r}") from None

    async def _call(
        self, call: Callable[[], Any], sign_type: SignType = "MD5"
    ) -> Mapping[str, Any]:
        """Run a wechatpy call in a thread; translate failures; check the answer's signature."""
        answer = await asyncio.to_thread(_translated, call)
        if not isinstance(answer, Mapping):
            raise WeChatUnavailable("WeChat Pay answered with something that is not XML")
        fields = {k: v for k, v in answer.items() if isinstance(v, str)}
        if not signature_ok(fields, self._key, (sign_type,), default=sign_type):
            raise WeChatUnavailable("WeChat Pay's answer is not signed with our key")
        return answer


def _translated(call: Callable[[], T]) -> T:
    try:
        return call()
    except WeChatPayException as exc:
        if exc.return_code is None:  # HTTP status not 2xx
            status = exc.response.status_code if exc.response is not None else "no response"
            raise WeChatUnavailable(f"WeChat Pay answered HTTP {status}") from exc
        if exc.return_code != "SUCCESS":
            raise WeChatPayError(str(exc.return_code), str(exc.return_msg or "")) from exc
        code = str(exc.errcode or exc.result_code or "FAIL")
        if code in _BUSY:
            raise WeChatUnavailable(f"WeChat Pay busy ({code}): {exc.errmsg}") from exc
        raise WeChatPayError(code, str(exc.errmsg or "")) from exc
    except requests.RequestException as exc:
        raise WeChatUnavailable(f"WeChat Pay unreachable: {exc}") from exc


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None
