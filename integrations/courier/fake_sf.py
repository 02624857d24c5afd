"""A local stand-in for SF Express's open platform that speaks its wire format.

Used by tests and the sandbox: point :class:`~integrations.courier.sf.SfExpress` at
:attr:`FakeSf.url`. It serves ``POST /std/service`` (form: ``partnerID``, ``requestID``,
``serviceCode``, ``timestamp``, ``msgDigest``, ``msgData``), checks the partner and the digest
exactly as SF computes it (A1006 when it does not match), and implements:

- ``EXP_RECE_CREATE_ORDER``: a new ``orderId`` gets a new waybill number (``SF`` + 13 digits);
  an ``orderId`` seen before answers errorCode 8016 (重复下单), as SF does;
- ``EXP_RECE_SEARCH_ORDER_RESP``: the order and its waybill.

It also plays SF's side of route pushes: :meth:`FakeSf.push` POSTs
``{"Body": {"WaybillRoute": [...]}}`` to the configured :attr:`FakeSf.push_url` (our webhook)
and returns the HTTP status and the reply.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from domain.calendar import CST
from integrations.courier.sf import msg_digest
from integrations.loopback import LoopbackServer

__all__ = ["FakeSf", "FakeSfOrder", "PushReply"]

_REQUIRED = ("partnerID", "requestID", "serviceCode", "timestamp", "msgDigest", "msgData")
# Texts SF shows for each route code (with 【】 for places), used when a push gives no remark.
_REMARKS = {
    "50": "顺丰速运 已收取快件",
    "30": "快件在【{place}】完成分拣，准备发往下一站",
    "31": "快件到达【{place}】",
    "36": "快件在【{place}】已发车",
    "44": "快件交给快递员，正在派送途中",
    "70": "由于收件人不在，派件不成功",
    "33": "派件异常，快件滞留在【{place}】",
    "80": "已签收，感谢使用顺丰，期待再次为您服务 签收人是：本人",
    "99": "应客户要求，快件正在退回中",
    "648": "快件已退回",
}


@dataclass(frozen=True)
class FakeSfOrder:
    """An order the fake accepted."""

    order_id: str
    waybill_no: str
    msg_data: Mapping[str, Any]


@dataclass(frozen=True)
class PushReply:
    """What our webhook answered to a push."""

    status: int
    body: Any


class FakeSf(LoopbackServer):
    """Fake SF open platform on a local port, run in a daemon thread."""

    _thread_name = "fake-sf"

    def __init__(
        self,
        partner_id: str = "SANDBOX_PARTNER",
        check_word: str = "sandbox-check-word",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        push_url: str | None = None,
    ) -> None:
        self.partner_id = partner_id
        self.check_word = check_word
        self.push_url = push_url
        self._init_loopback(host, port)
        self._lock = threading.Lock()
        self._orders: dict[str, FakeSfOrder] = {}
        self._requests: list[dict[str, str]] = []
        self._down = False
        self._latency = 0.0
        # waybill numbers look like SF's (SF + 13 digits); each fake starts somewhere else
        self._waybills = itertools.count(7_444_400_000_000 + (time.time_ns() // 1000) % 10**8)
        self._route_ids = itertools.count(int(time.time() * 1000))

    # -- lifecycle -------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_class(self)

    @property
    def url(self) -> str:
        """The service URL, as SF's ``https://sfapi.sf-express.com/std/service``."""
        return self._origin() + "/std/service"

    # -- control and inspection ------------------------------------------------------------

    def set_down(self, down: bool) -> None:
        """While down, every call answers HTTP 503, as when SF is broken."""
        with self._lock:
            self._down = down

    def set_latency(self, seconds: float) -> None:
        """Answer every call this much later."""
        with self._lock:
            self._latency = seconds

    def orders(self) -> list[FakeSfOrder]:
        """Orders created so far, oldest first."""
        with self._lock:
            return list(self._orders.values())

    def order(self, order_id: str) -> FakeSfOrder | None:
        """The order with our ``orderId``, if SF has it."""
        with self._lock:
            return self._orders.get(order_id)

    @property
    def requests(self) -> list[dict[str, str]]:
        """Every form received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    # -- route pushes ----------------------------------------------------------------------

    def route(
        self,
        waybill_no: str,
        op_code: str,
        *,
        remark: str | None = None,
        accept_address: str = "杭州市",
        accept_time: datetime | None = None,
        route_id: str | None = None,
        reason_name: str | None = None,
    ) -> dict[str, str]:
        """One ``WaybillRoute`` as SF writes it (a fresh route id unless given)."""
        at = (accept_time or datetime.now(CST)).astimezone(CST)
        order_id = next((o.order_id for o in self.orders() if o.waybill_no == waybill_no), "")
        text = remark if remark is not None else _REMARKS.get(op_code, "快件处理中")
        item = {
            "id": route_id or str(next(self._route_ids)),
            "mailno": waybill_no,
            "orderid": order_id,
            "acceptTime": at.strftime("%Y-%m-%d %H:%M:%S"),
            "acceptAddress": accept_address,
            "remark": text.format(place=accept_address),
            "opCode": op_code,
        }
        if reason_name is not None:
            item["reasonName"] = reason_name
        return item

    def push(
        self, waybill_no: str, op_code: str, *, url: str | None = None, **route: Any
    ) -> PushReply:
        """Push one route of ``waybill_no`` to our webhook (blocking: call it in a thread)."""
        return self.push_routes([self.route(waybill_no, op_code, **route)], url=url)

    def push_routes(
        self, routes: Sequence[Mapping[str, str]], *, url: str | None = None
    ) -> PushReply:
        """POST ``{"Body": {"WaybillRoute": routes}}`` as SF does (at most 10 routes)."""
        target = url or self.push_url
        if not target:
            msg = "FakeSf has no push_url"
            raise RuntimeError(msg)
        if not 0 < len(routes) <= 10:
            msg = "SF pushes 1 to 10 routes at a time"
            raise ValueError(msg)
        body = json.dumps({"Body": {"WaybillRoute": list(routes)}}, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - a URL the test or sandbox configured
            target, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return PushReply(response.status, _json_or_text(response.read()))
        except urllib.error.HTTPError as exc:
            return PushReply(exc.code, _json_or_text(exc.read()))

    # -- the platform ----------------------------------------------------------------------

    def dispatch(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """Answer one ``/std/service`` call: (HTTP status, JSON body)."""
        with self._lock:
            self._requests.append(dict(form))
            down, latency = self._down, self._latency
        if latency:
            time.sleep(latency)  # this request's own server thread
        if down:
            return 503, {"error": "service unavailable"}
        refused = self._platform_refusal(form)
        if refused is not None:
            return 200, refused
        try:
            body = json.loads(form["msgData"])
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return 200, _result(False, "1000", "msgData不是合法的JSON")
        service = form["serviceCode"]
        if service == "EXP_RECE_CREATE_ORDER":
            return 200, self._create_order(body)
        if service == "EXP_RECE_SEARCH_ORDER_RESP":
            return 200, self._search_order(body)
        return 200, _api_error("A1004", f"无对应服务权限：{service}")

    def _platform_refusal(self, form: Mapping[str, str]) -> dict[str, Any] | None:
        """The platform's own checks, before any service runs: parameters, partner, digest."""
        missing = [name for name in _REQUIRED if not form.get(name)]
        if missing:
            return _api_error("A1001", f"必传参数不可为空：{','.join(missing)}")
        if form["partnerID"] != self.partner_id:
            return _api_error("A1004", "无对应服务权限")
        expected = msg_digest(form["msgData"], form["timestamp"], self.check_word)
        if form["msgDigest"] != expected:
            return _api_error("A1006", "数字签名无效")
        return None

    def _create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        order_id = body.get("orderId")
        if not isinstance(order_id, str) or not order_id:
            return _result(False, "8013", "未传入订单信息")
        if problem := _order_problem(body):
            return _result(False, *problem)
        with self._lock:
            if order_id in self._orders:
                return _result(False, "8016", "重复下单")
            order = FakeSfOrder(order_id, f"SF{next(self._waybills)}", body)
            self._orders[order_id] = order
        return _result(True, "S0000", None, _order_data(order))

    def _search_order(self, body: dict[str, Any]) -> dict[str, Any]:
        order = self.order(str(body.get("orderId", "")))
        if order is None:
            return _result(False, "20011", "订单不存在")  # the fake's own code for "no such order"
        return _result(True, "S0000", None, _order_data(order))


def _order_problem(body: Mapping[str, Any]) -> tuple[str, str] | None:
    """SF's refusal of an incomplete order (the fake checks what we must always send)."""
    contacts = body.get("contactInfoList")
    if not isinstance(contacts, list):
        return "1010", "寄件地址不能为空"
    by_type = {c.get("contactType"): c for c in contacts if isinstance(c, dict)}
    for contact_type, what in ((1, "寄件"), (2, "到件")):
        contact = by_type.get(contact_type)
        if contact is None or not contact.get("address"):
            return ("1010" if contact_type == 1 else "1014"), f"{what}地址不能为空"
        if not contact.get("contact"):
            return ("1011" if contact_type == 1 else "1015"), f"{what}联系人不能为空"
        if not (contact.get("mobile") or contact.get("tel")):
            return ("1012" if contact_type == 1 else "1016"), f"{what}电话不能为空"
    cargo = body.get("cargoDetails")
    if not isinstance(cargo, list) or not cargo:
        return "1020", "托寄物信息不能为空"
    return None


def _order_data(order: FakeSfOrder) -> dict[str, Any]:
    return {
        "orderId": order.order_id,
        "waybillNoInfoList": [{"waybillType": 1, "waybillNo": order.waybill_no}],
        "originCode": "571",
        "destCode": "571",
        "filterResult": 2,
    }


def _api_error(code: str, message: str) -> dict[str, Any]:
    return {
        "apiResponseID": _response_id(),
        "apiResultCode": code,
        "apiErrorMsg": message,
        "apiResultData": None,
    }


def _result(
    success: bool, code: str, message: str | None, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    result = {"success": success, "errorCode": code, "errorMsg": message, "msgData": data}
    return {
        "apiResponseID": _response_id(),
        "apiResultCode": "A1000",
        "apiErrorMsg": "",
        "apiResultData": json.dumps(result, ensure_ascii=False),
    }


def _response_id() -> str:
    return f"{time.time_ns():032X}"[-32:]


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _handler_class(fake: FakeSf) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if url.path != "/std/service":
                self._answer(404, {"error": f"no fake route for {url.path}"})
                return
            # form-encoded, UTF-8, as SF requires; the first value of a name wins
            fields = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
            form = dict(fields[::-1])
            self._answer(*fake.dispatch(form))

        def _answer(self, status: int, body: Mapping[str, Any]) -> None:
            payload = json.dumps(body, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout it was told to have): as SF would see it

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request log lines on stderr."""

    return _Handler
