"""SF Express's wire format: the request digest and the route push, without a network."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from integrations.courier import PushRejected
from integrations.courier.sf import OP_CODES, java_urlencode, msg_digest, parse_route_push

CST = timezone(timedelta(hours=8))

# SF's own example of its digest (丰桥 "数字签名认证说明"): the JSON, timestamp and check word.
SF_EXAMPLE_MSG = '{"language":"zh-CN","orderId":"QIAO-20200618-004"}'
SF_EXAMPLE_TIMESTAMP = "12312334453453"
SF_EXAMPLE_CHECK_WORD = "fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci"


def test_the_digest_of_sfs_documented_example() -> None:
    # URLEncoder.encode(msgData + timestamp + checkWord, "UTF-8"), worked out by hand ...
    encoded = (
        "%7B%22language%22%3A%22zh-CN%22%2C%22orderId%22%3A%22QIAO-20200618-004%22%7D"
        "12312334453453fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci"
    )
    assert java_urlencode(SF_EXAMPLE_MSG + SF_EXAMPLE_TIMESTAMP + SF_EXAMPLE_CHECK_WORD) == encoded
    # ... then Base64 of the 16 raw MD5 bytes (computed apart, with `openssl dgst -md5 -binary`)
    digest = msg_digest(SF_EXAMPLE_MSG, SF_EXAMPLE_TIMESTAMP, SF_EXAMPLE_CHECK_WORD)
    assert digest == "IIKJtuLVzoFTu4kHI8M8vA=="


def test_the_digest_encodes_like_java_not_like_python() -> None:
    # Java's URLEncoder keeps "*", encodes "~", and encodes Chinese as UTF-8 bytes; space is "+"
    assert java_urlencode("顺丰 a*b~c") == "%E9%A1%BA%E4%B8%B0+a*b%7Ec"
    message = '{"remark":"派件前请电话联系 *~"}'
    # the encoded text, hashed apart with openssl, gives this
    assert msg_digest(message, "1700000000000", "abc") == "EZSHiH6Aizx1OFYIb64bdQ=="


def _push(*routes: dict[str, object]) -> bytes:
    return json.dumps({"Body": {"WaybillRoute": list(routes)}}, ensure_ascii=False).encode()


def _route(op_code: str, route_id: str = "1", **fields: object) -> dict[str, object]:
    return {
        "id": route_id,
        "mailno": "SF1400000000001",
        "orderid": "OW1",
        "acceptTime": "2026-04-15 10:20:30",
        "acceptAddress": "杭州市",
        "remark": "快件处理中",
        "opCode": op_code,
        **fields,
    }


def test_a_push_is_read_in_order_with_china_time_and_our_meaning_of_each_code() -> None:
    codes = ["50", "30", "31", "36", "44", "70", "44", "80", "99", "648", "33", "9999"]
    routes = parse_route_push(_push(*(_route(c, str(i)) for i, c in enumerate(codes))))
    assert [r.route_id for r in routes] == [str(i) for i in range(len(codes))]
    assert [r.kind for r in routes] == [
        "picked_up",
        "in_transit",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "failed",
        "out_for_delivery",
        "delivered",
        "returned",
        "returned",
        "failed",
        None,  # a code we keep no state for
    ]
    assert routes[0].at == datetime(2026, 4, 15, 10, 20, 30, tzinfo=CST)
    assert routes[0].location == "杭州市"


def test_the_signer_and_the_reason_come_from_the_route() -> None:
    signed, failed, returned, plain = parse_route_push(
        _push(
            _route("80", "1", remark="已签收，感谢使用顺丰 签收人是：王五"),
            _route("70", "2", remark="派件不成功", reasonName="客户不在"),
            _route("648", "3", remark="快件已退回"),
            _route("80", "4", remark="已签收"),
        )
    )
    assert signed.signed_by == "王五"
    assert failed.reason == "客户不在"
    assert returned.reason == "快件已退回"
    assert plain.signed_by == "收件人"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        b'{"Body": {"WaybillRoute": []}}',
        _push(_route("50", acceptTime="15/04/2026")),
        _push({**_route("50"), "mailno": ""}),
        b'{"Body": {"WaybillRoute": ["x"]}}',
    ],
)
def test_an_unreadable_push_is_rejected(body: bytes) -> None:
    with pytest.raises(PushRejected):
        parse_route_push(body)


def test_a_nul_in_a_push_never_reaches_the_database() -> None:
    (route,) = parse_route_push(_push(_route("50", remark="收\u0000件")))
    assert route.remark == "收件"


def test_every_mapped_code_means_something_we_record() -> None:
    assert set(OP_CODES.values()) == {
        "picked_up",
        "in_transit",
        "out_for_delivery",
        "delivered",
        "failed",
        "returned",
    }
