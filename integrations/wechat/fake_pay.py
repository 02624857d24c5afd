"""A local stand-in for api.mch.weixin.qq.com (WeChat Pay v2) that speaks its wire format.

XML in and out, every request and answer signed with the merchant key (MD5, or HMAC-SHA256 when
the request says ``sign_type``), WeChat's ``return_code``/``result_code``/``err_code`` answers.
Routes: ``pay/unifiedorder``, ``pay/orderquery``, ``pay/closeorder``, ``secapi/pay/refund``,
``pay/refundquery``.

What a citizen and WeChat's servers do is driven from here: :meth:`FakeWeChatPay.pay` pays an
order and POSTs the signed notification to the order's ``notify_url`` (unless notifications are
dropped, see :meth:`drop_notifications`; :meth:`deliver` sends one again, as WeChat's retries
do); :meth:`complete_refund` finishes a refund and POSTs the encrypted refund notification.
Notifications only go to loopback addresses.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from domain.calendar import CST
from integrations.loopback import LoopbackServer
from integrations.wechat.pay_wire import (
    MalformedXml,
    SignType,
    nonce,
    parse_xml,
    sign,
    signature_ok,
    to_xml,
)

__all__ = ["Delivery", "FakeOrder", "FakePayError", "FakeRefund", "FakeWeChatPay"]

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# unified order fields that must be the same for WeChat to hand out the same prepay_id again
_SAME_ORDER = ("body", "total_fee", "openid", "trade_type", "time_expire", "notify_url")


class FakePayError(Exception):
    """What the fake refuses to do (pay an unknown, paid, closed or expired order, ...)."""


@dataclass(frozen=True)
class Delivery:
    """One notification POSTed to the app: HTTP status (0: not reached) and the answer."""

    status: int
    body: bytes

    @property
    def acknowledged(self) -> bool:
        """The app answered ``return_code`` SUCCESS."""
        try:
            return self.status == 200 and parse_xml(self.body).get("return_code") == "SUCCESS"
        except MalformedXml:
            return False


@dataclass
class FakeRefund:
    out_refund_no: str
    out_trade_no: str
    refund_id: str
    refund_fee: int
    notify_url: str | None
    status: str = "PROCESSING"


@dataclass
class FakeOrder:
    out_trade_no: str
    params: dict[str, str]
    prepay_id: str
    sign_type: SignType
    state: str = "NOTPAY"  # SUCCESS, CLOSED, REFUND
    transaction_id: str | None = None
    time_end: str | None = None
    refunds: list[str] = field(default_factory=list)

    @property
    def total_fee(self) -> int:
        return int(self.params["total_fee"])


class FakeWeChatPay(LoopbackServer):
    """Fake WeChat Pay on a local port, served by daemon threads, for one merchant."""

    _thread_name = "fake-wechat-pay"

    def __init__(
        self,
        appid: str,
        mch_id: str,
        api_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.appid = appid
        self.mch_id = mch_id
        self.api_key = api_key
        self._clock = clock or (lambda: datetime.now(UTC))
        self._init_loopback(host, port)
        self._lock = threading.Lock()
        self._orders: dict[str, FakeOrder] = {}
        self._refunds: dict[str, FakeRefund] = {}
        self._received: list[tuple[str, dict[str, str]]] = []
        self._down = False
        self._drop = False
        self._auto_refund = True
        self._numbers = itertools.count(1)
        self._routes: dict[str, Callable[[dict[str, str]], dict[str, object]]] = {
            "/pay/unifiedorder": self._unified_order,
            "/pay/orderquery": self._order_query,
            "/pay/closeorder": self._close_order,
            "/secapi/pay/refund": self._refund,
            "/pay/refundquery": self._refund_query,
        }

    # -- lifecycle -------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_class(self)

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/``, the ``API_BASE_URL`` for a wechatpy ``WeChatPay``."""
        return self._origin() + "/"

    # -- control and inspection ------------------------------------------------------------

    def set_down(self, down: bool) -> None:
        """While down, every endpoint answers HTTP 503."""
        with self._lock:
            self._down = down

    def drop_notifications(self, drop: bool = True) -> None:
        """Pay without notifying, as when WeChat's notification is lost on the way."""
        with self._lock:
            self._drop = drop

    def auto_complete_refunds(self, auto: bool = True) -> None:
        """Finish each refund (and notify) right after applying, or wait for
        :meth:`complete_refund`."""
        with self._lock:
            self._auto_refund = auto

    def order(self, out_trade_no: str) -> FakeOrder | None:
        """The order as the fake knows it."""
        with self._lock:
            return self._orders.get(out_trade_no)

    def refund(self, out_refund_no: str) -> FakeRefund | None:
        """The refund as the fake knows it."""
        with self._lock:
            return self._refunds.get(out_refund_no)

    def calls(self, path: str | None = None) -> list[dict[str, str]]:
        """The verified requests received (to one path, like ``/pay/closeorder``), in order."""
        with self._lock:
            return [fields for p, fields in self._received if path is None or p == path]

    # -- what the citizen and WeChat's servers do -------------------------------------------

    def pay(
        self, out_trade_no: str, *, notify: bool = True, copies: int = 1
    ) -> tuple[FakeOrder, list[Delivery]]:
        """The citizen pays; WeChat then notifies the app (unless notifications are dropped),
        ``copies`` times, as when its retries cross our answer."""
        with self._lock:
            order = self._orders.get(out_trade_no)
            if order is None:
                raise FakePayError("ORDERNOTEXIST")
            if order.state != "NOTPAY":
                raise FakePayError("ORDERPAID" if order.state == "SUCCESS" else "ORDERCLOSED")
            if self._now() >= _parse_time(order.params["time_expire"]):
                raise FakePayError("ORDER_EXPIRED")
            order.state = "SUCCESS"
            order.transaction_id = f"4200{next(self._numbers):06d}{secrets.randbelow(10**18):018d}"
            order.time_end = self._now().astimezone(CST).strftime("%Y%m%d%H%M%S")
            drop = self._drop
        if not notify or drop:
            return order, []
        url, body = order.params["notify_url"], self.notification(out_trade_no)
        return order, [self.deliver(url, body) for _ in range(copies)]

    def notification(
        self,
        out_trade_no: str,
        /,
        *,
        key: str | None = None,
        sign_type: SignType | None = None,
        **overrides: str,
    ) -> bytes:
        """The signed payment notification of a paid order (``overrides`` change fields before
        signing; ``key`` signs with another key, as a forger would)."""
        with self._lock:
            order = self._orders[out_trade_no]
        if order.transaction_id is None:
            raise FakePayError("ORDERNOTPAID")
        kind = sign_type or order.sign_type
        fields: dict[str, str] = {
            "appid": self.appid,
            "mch_id": self.mch_id,
            "nonce_str": nonce(),
            "result_code": "SUCCESS",
            "return_code": "SUCCESS",
            "openid": order.params.get("openid", ""),
            "is_subscribe": "N",
            "trade_type": "JSAPI",
            "bank_type": "OTHERS",
            "total_fee": str(order.total_fee),
            "cash_fee": str(order.total_fee),
            "fee_type": "CNY",
            "transaction_id": order.transaction_id,
            "out_trade_no": out_trade_no,
            "time_end": order.time_end or "",
        }
        if kind == "HMAC-SHA256":
            fields["sign_type"] = kind
        fields.update(overrides)
        fields["sign"] = sign(fields, key or self.api_key, kind)
        return to_xml(fields)

    def complete_refund(
        self, out_refund_no: str, *, status: str = "SUCCESS", notify: bool = True
    ) -> Delivery | None:
        """The refund reaches the citizen (or fails: ``status`` CHANGE / REFUNDCLOSE); WeChat
        then POSTs the encrypted refund notification."""
        with self._lock:
            refund = self._refunds[out_refund_no]
            refund.status = status
        if not notify or refund.notify_url is None:
            return None
        return self.deliver(refund.notify_url, self.refund_notification(out_refund_no))

    def refund_notification(self, out_refund_no: str, *, key: str | None = None) -> bytes:
        """The refund notification: ``req_info`` is AES-256-ECB with MD5(key) as the key."""
        with self._lock:
            refund = self._refunds[out_refund_no]
            order = self._orders[refund.out_trade_no]
        success = self._now().astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")
        info: dict[str, object] = {
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "refund_id": refund.refund_id,
            "out_refund_no": out_refund_no,
            "total_fee": order.total_fee,
            "settlement_total_fee": order.total_fee,
            "refund_fee": refund.refund_fee,
            "settlement_refund_fee": refund.refund_fee,
            "refund_status": refund.status,
            "success_time": success,
            "refund_recv_accout": "支付用户零钱",
            "refund_account": "REFUND_SOURCE_RECHARGE_FUNDS",
            "refund_request_source": "API",
        }
        inner = to_xml(info).replace(b"<xml>", b"<root>").replace(b"</xml>", b"</root>")
        fields = {
            "return_code": "SUCCESS",
            "appid": self.appid,
            "mch_id": self.mch_id,
            "nonce_str": nonce(),
            "req_info": _encrypt(inner, key or self.api_key),
        }
        return to_xml(fields)

    def deliver(self, url: str, body: bytes) -> Delivery:
        """POST a notification as WeChat does (text/xml, 5 s timeout), to loopback only."""
        if urlsplit(url).hostname not in _LOOPBACK:
            return Delivery(0, f"refusing to notify a non-loopback URL: {url}".encode())
        request = urllib.request.Request(  # noqa: S310 - http(s) to loopback, checked above
            url, data=body, headers={"Content-Type": "text/xml"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return Delivery(response.status, response.read())
        except urllib.error.HTTPError as exc:
            return Delivery(exc.code, exc.read())
        except OSError as exc:  # refused, timed out
            return Delivery(0, str(exc).encode())

    # -- the API ---------------------------------------------------------------------------

    def dispatch(self, path: str, body: bytes) -> tuple[int, bytes]:
        """Answer one request: HTTP status and the XML document."""
        with self._lock:
            down = self._down
            route = self._routes.get(path)
        if down:
            return 503, b"service unavailable"
        if route is None:
            return 404, b"not found"
        try:
            fields = parse_xml(body)
        except MalformedXml:
            return 200, to_xml({"return_code": "FAIL", "return_msg": "XML格式错误"})
        sign_type: SignType = "HMAC-SHA256" if fields.get("sign_type") == "HMAC-SHA256" else "MD5"
        if not signature_ok(fields, self.api_key):
            return 200, to_xml({"return_code": "FAIL", "return_msg": "签名错误"})
        if fields.get("appid") != self.appid or fields.get("mch_id") != self.mch_id:
            return 200, to_xml({"return_code": "FAIL", "return_msg": "appid和mch_id不匹配"})
        with self._lock:
            self._received.append((path, fields))
        answer: dict[str, object] = {
            "return_code": "SUCCESS",
            "return_msg": "OK",
            "appid": self.appid,
            "mch_id": self.mch_id,
            "nonce_str": nonce(),
            **route(fields),
        }
        answer["sign"] = sign(answer, self.api_key, sign_type)
        return 200, to_xml(answer)

    def _now(self) -> datetime:
        return self._clock()

    def _unified_order(self, fields: dict[str, str]) -> dict[str, object]:
        refused = self._order_params_error(fields)
        if refused is not None:
            return refused
        number = fields["out_trade_no"]
        with self._lock:
            order = self._orders.get(number)
            if order is not None:
                if order.state == "SUCCESS":
                    return _failed("ORDERPAID", "该订单已支付")
                if order.state != "NOTPAY":
                    return _failed("ORDERCLOSED", "该订单已关闭")
                if any(order.params.get(k) != fields.get(k) for k in _SAME_ORDER):
                    return _failed("INVALID_REQUEST", "201 商户订单号重复")
                return _placed(order)  # the same order again: the same prepay_id
            kind: SignType = "HMAC-SHA256" if fields.get("sign_type") == "HMAC-SHA256" else "MD5"
            order = FakeOrder(number, dict(fields), f"wx{secrets.token_hex(14)}", kind)
            self._orders[number] = order
        return _placed(order)

    def _order_params_error(self, fields: dict[str, str]) -> dict[str, object] | None:
        missing = [
            name
            for name in ("body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url")
            if not fields.get(name)
        ]
        if fields.get("trade_type") == "JSAPI" and not fields.get("openid"):
            missing.append("openid")
        if missing:
            return _failed("PARAM_ERROR", f"缺少参数{','.join(missing)}")
        if not fields["total_fee"].isdigit() or int(fields["total_fee"]) <= 0:
            return _failed("PARAM_ERROR", "total_fee 必须为正整数")
        try:
            expires = _parse_time(fields.get("time_expire") or "")
        except ValueError:
            return _failed("PARAM_ERROR", "time_expire 格式错误")
        if expires < self._now() + timedelta(minutes=1):
            return _failed("INVALID_REQUEST", "time_expire时间过短，刷卡至少1分钟，其他5分钟")
        return None

    def _order_query(self, fields: dict[str, str]) -> dict[str, object]:
        with self._lock:
            order = self._orders.get(fields.get("out_trade_no", ""))
            if order is None:
                return _failed("ORDERNOTEXIST", "订单不存在")
            answer: dict[str, object] = {
                "result_code": "SUCCESS",
                "out_trade_no": order.out_trade_no,
                "trade_state": order.state,
                "total_fee": order.total_fee,
                "trade_type": "JSAPI",
            }
            if order.transaction_id is not None:
                answer.update(
                    transaction_id=order.transaction_id,
                    time_end=order.time_end,
                    openid=order.params.get("openid"),
                    cash_fee=order.total_fee,
                    fee_type="CNY",
                    bank_type="OTHERS",
                )
            return answer

    def _close_order(self, fields: dict[str, str]) -> dict[str, object]:
        with self._lock:
            order = self._orders.get(fields.get("out_trade_no", ""))
            if order is None:
                return _failed("ORDERNOTEXIST", "订单不存在")
            if order.state in ("SUCCESS", "REFUND"):
                return _failed("ORDERPAID", "订单已支付，不能发起关单")
            if order.state == "CLOSED":
                return _failed("ORDERCLOSED", "订单已关闭，无法重复关闭")
            order.state = "CLOSED"
        return {"result_code": "SUCCESS"}

    def _refund(self, fields: dict[str, str]) -> dict[str, object]:
        number = fields.get("out_refund_no", "")
        try:
            total, wanted = int(fields.get("total_fee", "")), int(fields.get("refund_fee", ""))
        except ValueError:
            return _failed("PARAM_ERROR", "total_fee 和 refund_fee 必须为整数")
        with self._lock:
            order = self._orders.get(fields.get("out_trade_no", ""))
            if order is None or order.transaction_id is None:
                return _failed("ORDERNOTEXIST", "订单不存在或未支付")
            refund = self._refunds.get(number)
            if refund is None:
                if total != order.total_fee:
                    return _failed("INVALID_REQUEST", "订单金额不符")
                refunded = sum(self._refunds[n].refund_fee for n in order.refunds)
                if wanted <= 0 or refunded + wanted > order.total_fee:
                    return _failed("INVALID_REQUEST", "退款金额大于支付金额")
                refund = FakeRefund(
                    number,
                    order.out_trade_no,
                    f"50000{next(self._numbers):06d}{secrets.randbelow(10**18):018d}",
                    wanted,
                    fields.get("notify_url") or None,
                )
                self._refunds[number] = refund
                order.refunds.append(number)
                order.state = "REFUND"
                auto = self._auto_refund
            else:  # the same refund number again: the same refund, once
                auto = False
        if auto:
            threading.Timer(0.05, self.complete_refund, args=(number,)).start()
        return {
            "result_code": "SUCCESS",
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "out_refund_no": number,
            "refund_id": refund.refund_id,
            "refund_fee": refund.refund_fee,
            "total_fee": order.total_fee,
            "cash_fee": order.total_fee,
        }

    def _refund_query(self, fields: dict[str, str]) -> dict[str, object]:
        with self._lock:
            refund = self._refunds.get(fields.get("out_refund_no", ""))
            if refund is None:
                return _failed("REFUNDNOTEXIST", "退款订单查询失败")
            order = self._orders[refund.out_trade_no]
            return {
                "result_code": "SUCCESS",
                "transaction_id": order.transaction_id,
                "out_trade_no": order.out_trade_no,
                "total_fee": order.total_fee,
                "refund_count": 1,
                "out_refund_no_0": refund.out_refund_no,
                "refund_id_0": refund.refund_id,
                "refund_fee_0": refund.refund_fee,
                "refund_status_0": refund.status,
            }


def _placed(order: FakeOrder) -> dict[str, object]:
    return {"result_code": "SUCCESS", "trade_type": "JSAPI", "prepay_id": order.prepay_id}


def _failed(err_code: str, description: str) -> dict[str, object]:
    return {"result_code": "FAIL", "err_code": err_code, "err_code_des": description}


def _parse_time(value: str) -> datetime:
    """yyyyMMddHHmmss in China time."""
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=CST)


def _encrypt(plain: bytes, api_key: str) -> str:
    key = hashlib.md5(api_key.encode()).hexdigest().encode()  # noqa: S324 - WeChat's scheme
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - WeChat's
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()


def _handler_class(fake: FakeWeChatPay) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = fake.dispatch(url.path, body)
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request log lines on stderr."""

    return _Handler
