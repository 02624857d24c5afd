"""SF Express (顺丰速运) open platform (丰桥): order creation and route pushes.

Requests are form posts to ``/std/service`` with ``partnerID``, ``requestID``, ``serviceCode``,
``timestamp``, ``msgData`` (the JSON body) and ``msgDigest``. SF specifies the digest as
``Base64(MD5(URLEncoder.encode(msgData + timestamp + checkWord, "UTF-8")))`` in Java: the MD5 is
of the UTF-8 bytes of the *encoded* text, and Base64 is of the 16 raw digest bytes (not of a hex
string). Java's ``URLEncoder`` is form encoding: spaces become ``+``, letters, digits and
``.-*_`` stay, everything else is ``%XX`` (upper-case hex) of its UTF-8 bytes. Python's
``quote_plus`` differs in two characters (it keeps ``~`` and encodes ``*``), see
:func:`java_urlencode`.

The answer is JSON: ``apiResultCode`` ``A1000`` when the platform took the call, and
``apiResultData``, a JSON *string* with ``success``, ``errorCode`` (``S0000`` when the business
call succeeded) and ``msgData``; a created order has its waybill in
``msgData.waybillNoInfoList[].waybillNo`` (``waybillType`` 1 is the main parcel). An order id
seen before answers ``errorCode`` 8016 (重复下单); we then ask for that order
(``EXP_RECE_SEARCH_ORDER_RESP``) and take its waybill, so booking is idempotent by ``orderId``.

Route pushes (路由推送) are JSON ``{"Body": {"WaybillRoute": [{"id", "mailno", "orderid",
"acceptTime", "acceptAddress", "remark", "opCode", ...}]}}``, at most 10 routes each, answered
``{"return_code": "0000", "return_msg": "成功"}``; SF pushes again until it gets that. SF signs
nothing in a push: the webhook authenticates it by a secret in its URL and the sender's IP.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

import httpx

from domain.calendar import CST
from integrations.courier.base import (
    Booking,
    Contact,
    CourierOrder,
    CourierRefused,
    CourierUnavailable,
    PushRejected,
    Route,
    RouteKind,
)

__all__ = [
    "OP_CODES",
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "SfExpress",
    "java_urlencode",
    "msg_digest",
    "parse_route_push",
]

PRODUCTION_URL = "https://sfapi.sf-express.com/std/service"
SANDBOX_URL = "https://sfapi-sbox.sf-express.com/std/service"
CREATE_ORDER = "EXP_RECE_CREATE_ORDER"
SEARCH_ORDER = "EXP_RECE_SEARCH_ORDER_RESP"

# opCode of a route -> what it means for us. From SF's route code list as integrators publish
# it; codes not listed (sorting, customs, informational scans) change nothing.
#   50, 54      收件 / 上门收件                      -> picked up
#   30, 31, 36  装车发往 / 到达 / 发车              -> in transit
#   105, 106    航班起飞 / 航班到达                  -> in transit
#   130         到达派件网点                         -> in transit
#   44, 204     正在派送途中 / 派件中                -> out for delivery
#   80, 8000    已签收                               -> delivered
#   70, 33      派件不成功 / 派件异常（滞留）        -> failed attempt
#   99, 631, 648 退回 / 已退回（新单号）             -> returned
# Assumptions: 33 counts as a failed attempt (SF uses it for "delivery exception, parcel kept at
# the station"), and 631 as a return (SF also uses it for forwarding to a new address, which
# for a government document means it did not reach the applicant).
OP_CODES: dict[str, RouteKind] = {
    "50": "picked_up",
    "54": "picked_up",
    "30": "in_transit",
    "31": "in_transit",
    "36": "in_transit",
    "105": "in_transit",
    "106": "in_transit",
    "130": "in_transit",
    "44": "out_for_delivery",
    "204": "out_for_delivery",
    "80": "delivered",
    "8000": "delivered",
    "70": "failed",
    "33": "failed",
    "99": "returned",
    "631": "returned",
    "648": "returned",
}
# "API platform busy or the service behind it down": worth another try later.
_TRANSIENT = frozenset({"A1005", "A1009", "A1099"})
_DUPLICATE_ORDER = "8016"
_SIGNER = re.compile(r"签收人(?:是|为)?[:：]?\s*([^\s,，。;；]+)")
_PUSH_ACCEPTED = {"return_code": "0000", "return_msg": "成功"}


def java_urlencode(text: str) -> str:
    """``java.net.URLEncoder.encode(text, "UTF-8")``: ``quote_plus`` that keeps ``*`` and
    encodes ``~`` (Python keeps ``~`` since 3.7; Java does not)."""
    return quote_plus(text, safe="*", encoding="utf-8").replace("~", "%7E")


def msg_digest(msg_data: str, timestamp: str, check_word: str) -> str:
    """SF's ``msgDigest``: Base64 of the MD5 of the form-encoded msgData+timestamp+checkWord."""
    encoded = java_urlencode(msg_data + timestamp + check_word)
    digest = hashlib.md5(encoded.encode("utf-8")).digest()  # noqa: S324 - SF's algorithm
    return base64.b64encode(digest).decode("ascii")


class SfExpress:
    """The SF Express adapter (our ``CourierCompany`` "sf"), over an httpx client of ours."""

    code = "sf"
    name = "顺丰速运"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        partner_id: str,
        check_word: str,
        url: str = PRODUCTION_URL,
        monthly_card: str | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._partner_id = partner_id
        self._check_word = check_word
        self._url = url
        self._monthly_card = monthly_card
        self._now = now

    async def book(self, order: CourierOrder) -> Booking:
        """Create the order, or find it when SF already has it (same ``orderId``)."""
        body: dict[str, Any] = {
            "language": "zh-CN",
            "orderId": order.order_id,
            "cargoDetails": [{"name": order.cargo, "count": 1, "unit": "件"}],
            "contactInfoList": [_contact(order.sender, 1), _contact(order.recipient, 2)],
            "expressTypeId": 1,  # 顺丰标快
            "payMethod": 1,  # the sender (the department) pays
            "parcelQty": 1,
            "isReturnRoutelabel": 0,
        }
        if self._monthly_card:
            body["monthlyCard"] = self._monthly_card
        if order.remark:
            body["remark"] = order.remark
        result = await self._call(CREATE_ORDER, body)
        if result.get("errorCode") == _DUPLICATE_ORDER:
            query = {"orderId": order.order_id, "searchType": "1", "language": "zh-CN"}
            result = await self._call(SEARCH_ORDER, query)
        _ensure_success(result)
        return Booking(order.order_id, _waybill(result))

    def parse_push(self, body: bytes) -> list[Route]:
        """The routes of an SF route push, in the order SF sent them."""
        return parse_route_push(body)

    def push_accepted(self) -> dict[str, str]:
        """What SF expects back to stop pushing."""
        return dict(_PUSH_ACCEPTED)

    async def _call(self, service_code: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """One platform call; the decoded ``apiResultData``."""
        msg_data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        timestamp = str(int(self._now() * 1000))
        form = {
            "partnerID": self._partner_id,
            "requestID": uuid.uuid4().hex,
            "serviceCode": service_code,
            "timestamp": timestamp,
            "msgDigest": msg_digest(msg_data, timestamp, self._check_word),
            "msgData": msg_data,
        }
        try:
            response = await self._client.post(self._url, data=form)
        except httpx.HTTPError as exc:  # connection refused, timeout, protocol error
            msg = f"SF unreachable: {exc!r}"
            raise CourierUnavailable(msg) from exc
        if response.status_code >= 500 or response.status_code == 429:
            msg = f"SF answered HTTP {response.status_code}"
            raise CourierUnavailable(msg)
        try:
            answer = response.json()
        except ValueError as exc:
            msg = f"SF answered HTTP {response.status_code} with no JSON"
            raise CourierUnavailable(msg) from exc
        code = str(answer.get("apiResultCode", "")) if isinstance(answer, dict) else ""
        if code != "A1000":
            message = str(answer.get("apiErrorMsg", "")) if isinstance(answer, dict) else ""
            if code in _TRANSIENT or not code:
                msg = f"SF busy or down ({code or response.status_code}): {message}"
                raise CourierUnavailable(msg)
            raise CourierRefused(code, message)
        raw = answer.get("apiResultData")
        try:
            result = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError as exc:
            raise CourierRefused("apiResultData", "not JSON") from exc
        if not isinstance(result, dict):
            raise CourierRefused("apiResultData", "missing")
        return result


def _contact(contact: Contact, contact_type: int) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "contactType": contact_type,  # 1 sender, 2 recipient
        "contact": contact.name,
        "mobile": contact.phone,
        "country": "CN",
        "province": contact.province,
        "city": contact.city,
        "county": contact.district,
        "address": contact.address,
    }
    if contact.company:
        fields["company"] = contact.company
    return fields


def _ensure_success(result: Mapping[str, Any]) -> None:
    if result.get("success") is True and result.get("errorCode") in ("S0000", None):
        return
    raise CourierRefused(str(result.get("errorCode")), str(result.get("errorMsg") or ""))


def _waybill(result: Mapping[str, Any]) -> str:
    data = result.get("msgData") or {}
    infos = data.get("waybillNoInfoList") if isinstance(data, dict) else None
    if isinstance(infos, list):
        main = [i for i in infos if isinstance(i, dict) and i.get("waybillType", 1) == 1]
        for info in main or infos:
            number = info.get("waybillNo") if isinstance(info, dict) else None
            if isinstance(number, str) and number:
                return number
    raise CourierRefused("waybillNoInfoList", "SF answered success without a waybill number")


def parse_route_push(body: bytes) -> list[Route]:
    """Routes of ``{"Body": {"WaybillRoute": [...]}}``; ``PushRejected`` when it is not that."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, or absurdly nested
        raise PushRejected("not JSON") from exc
    container = document.get("Body") if isinstance(document, dict) else None
    items = container.get("WaybillRoute") if isinstance(container, dict) else None
    if isinstance(items, dict):  # a single route may come as an object
        items = [items]
    if not isinstance(items, list) or not items:
        raise PushRejected("no Body.WaybillRoute")
    return [_route(item, index) for index, item in enumerate(items)]


def _route(item: object, index: int) -> Route:
    if not isinstance(item, dict):
        msg = f"WaybillRoute[{index}] is not an object"
        raise PushRejected(msg)
    values = {key: _text(item.get(key)) for key in ("id", "mailno", "opCode", "acceptTime")}
    missing = [key for key, value in values.items() if not value]
    if missing:
        msg = f"WaybillRoute[{index}] lacks {', '.join(missing)}"
        raise PushRejected(msg)
    try:
        at = datetime.strptime(values["acceptTime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
    except ValueError as exc:
        msg = f"WaybillRoute[{index}].acceptTime is not yyyy-MM-dd HH:mm:ss"
        raise PushRejected(msg) from exc
    remark = _text(item.get("remark"))
    kind = OP_CODES.get(values["opCode"])
    signed_by = ""
    if kind == "delivered":
        found = _SIGNER.search(remark)
        signed_by = found.group(1) if found else "收件人"
    reason = ""
    if kind in ("failed", "returned"):
        reason = _text(item.get("reasonName")) or remark
    return Route(
        route_id=values["id"],
        waybill_no=values["mailno"],
        at=at,
        op_code=values["opCode"],
        kind=kind,
        location=_text(item.get("acceptAddress")),
        remark=remark,
        signed_by=signed_by,
        reason=reason,
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int):
        # PostgreSQL text cannot hold NUL: one in a push would wedge every reader of the event
        return str(value).replace("\x00", "").strip()
    return ""
