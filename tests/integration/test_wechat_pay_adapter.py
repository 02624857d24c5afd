"""The real wechatpy adapter against the fake WeChat Pay over HTTP: orders, closing, queries,
refunds, signatures both ways (MD5 and HMAC-SHA256), and what is not to be trusted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from wechatpy.pay.utils import calculate_signature_hmac

from integrations.wechat.errors import WeChatUnavailable
from integrations.wechat.fake_pay import FakeWeChatPay
from integrations.wechat.pay import InvalidRefundNotice, PayOrder, WeChatPayError, WechatpyPay
from integrations.wechat.pay_wire import parse_xml, sign, to_xml

APPID, MCH_ID, KEY = "wx-test-app", "1900000109", "0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeWeChatPay]:
    with FakeWeChatPay(APPID, MCH_ID, KEY, clock=lambda: NOW) as server:
        yield server


def gateway(fake: FakeWeChatPay, **options: object) -> WechatpyPay:
    return WechatpyPay(APPID, MCH_ID, KEY, api_base_url=fake.base_url, timeout=3, **options)  # type: ignore[arg-type]


def an_order(number: str = "20260302-GG00201-000001-P01", minutes: int = 30) -> PayOrder:
    return PayOrder(
        out_trade_no=number,
        amount=2000,
        description="居民身份证换领-20260302-GG00201-000001",
        openid="sandbox-wang",
        notify_url="http://127.0.0.1:9/webhooks/wechat/pay",
        client_ip="127.0.0.1",
        starts_at=NOW,
        expires_at=NOW + timedelta(minutes=minutes),
    )


async def test_an_hmac_merchant_signs_orders_jsapi_and_notifications_with_hmac(
    fake: FakeWeChatPay,
) -> None:
    pay = gateway(fake, sign_type="HMAC-SHA256")
    prepay_id = await pay.unified_order(an_order())
    assert await pay.unified_order(an_order()) == prepay_id  # the same order: the same id
    placed = fake.order(an_order().out_trade_no)
    assert placed is not None
    assert placed.sign_type == "HMAC-SHA256"
    assert fake.calls("/pay/unifiedorder")[0]["sign_type"] == "HMAC-SHA256"

    params = pay.jsapi_params(prepay_id)
    assert params["signType"] == "HMAC-SHA256"
    unsigned = {k: v for k, v in params.items() if k != "paySign"}
    assert params["paySign"] == calculate_signature_hmac(unsigned, KEY)

    fake.pay(an_order().out_trade_no, notify=False)
    notice = parse_xml(fake.notification(an_order().out_trade_no))
    assert notice["sign_type"] == "HMAC-SHA256"
    assert pay.verify_notification(notice)
    downgraded = parse_xml(fake.notification(an_order().out_trade_no, sign_type="MD5"))
    assert not pay.verify_notification(downgraded)


async def test_close_query_and_refund_speak_wechats_answers(fake: FakeWeChatPay) -> None:
    pay = gateway(fake)
    first, second = an_order(), an_order("20260302-GG00201-000001-P02")
    await pay.unified_order(first)
    assert await pay.close(first.out_trade_no) == "closed"
    assert await pay.close(first.out_trade_no) == "closed"  # ORDERCLOSED: closed before
    closed = await pay.query(first.out_trade_no)
    assert closed is not None
    assert closed.trade_state == "CLOSED"
    assert await pay.query("NEVER-PLACED") is None
    assert await pay.close("NEVER-PLACED") == "closed"

    await pay.unified_order(second)
    paid, _ = fake.pay(second.out_trade_no, notify=False)
    assert await pay.close(second.out_trade_no) == "paid"  # ORDERPAID
    state = await pay.query(second.out_trade_no)
    assert state is not None
    assert (state.trade_state, state.amount, state.appid, state.mch_id) == (
        "SUCCESS",
        2000,
        APPID,
        MCH_ID,
    )
    assert state.transaction_id == paid.transaction_id

    number = f"{second.out_trade_no}-R1"
    fake.auto_complete_refunds(False)
    refund_id = await pay.refund(
        out_trade_no=second.out_trade_no,
        out_refund_no=number,
        total_fee=2000,
        refund_fee=2000,
        reason="撤回",
        notify_url="http://127.0.0.1:9/webhooks/wechat/refund",
    )
    again = await pay.refund(
        out_trade_no=second.out_trade_no,
        out_refund_no=number,
        total_fee=2000,
        refund_fee=2000,
        reason="撤回",
        notify_url="http://127.0.0.1:9/webhooks/wechat/refund",
    )
    assert again == refund_id  # one refund per out_refund_no
    processing = await pay.refund_query(number)
    assert processing is not None
    assert processing.status == "PROCESSING"
    fake.complete_refund(number, notify=False)
    done = await pay.refund_query(number)
    assert done is not None
    assert (done.status, done.refund_id, done.amount) == ("SUCCESS", refund_id, 2000)
    assert await pay.refund_query("NO-SUCH-REFUND") is None

    notice = pay.refund_notice(parse_xml(fake.refund_notification(number)))
    assert (notice.out_trade_no, notice.out_refund_no, notice.status, notice.amount) == (
        second.out_trade_no,
        number,
        "SUCCESS",
        2000,
    )
    with pytest.raises(InvalidRefundNotice):
        pay.refund_notice(parse_xml(fake.refund_notification(number, key="another-key")))
    foreign = parse_xml(fake.refund_notification(number))
    with pytest.raises(InvalidRefundNotice):
        pay.refund_notice({**foreign, "appid": "wx-someone-else"})
    with pytest.raises(InvalidRefundNotice):
        pay.refund_notice({**foreign, "req_info": "bm90IGVuY3J5cHRlZA=="})


async def test_wechat_pay_refusals_and_outages_are_told_apart(fake: FakeWeChatPay) -> None:
    with pytest.raises(WeChatPayError) as too_short:
        await gateway(fake).unified_order(an_order(minutes=0))
    assert too_short.value.code == "INVALID_REQUEST"
    wrong_key = WechatpyPay(APPID, MCH_ID, "f" * 32, api_base_url=fake.base_url, timeout=3)
    with pytest.raises(WeChatPayError) as unsigned:
        await wrong_key.unified_order(an_order())
    assert unsigned.value.code == "FAIL"  # return_code FAIL: 签名错误
    fake.set_down(True)
    with pytest.raises(WeChatUnavailable):
        await gateway(fake).query("ANY")


class _Impostor(FakeWeChatPay):
    """Answers like WeChat Pay, but signs with a key that is not the merchant's."""

    def dispatch(self, path: str, body: bytes) -> tuple[int, bytes]:
        status, answer = super().dispatch(path, body)
        fields = parse_xml(answer)
        if "sign" in fields:
            fields["sign"] = sign(fields, "not-the-merchant-key")
        return status, to_xml(fields)


async def test_an_answer_not_signed_with_our_key_is_not_believed() -> None:
    with _Impostor(APPID, MCH_ID, KEY, clock=lambda: NOW) as impostor:
        pay = gateway(impostor)
        with pytest.raises(WeChatUnavailable, match="not signed"):
            await pay.unified_order(an_order())
        impostor.pay(an_order().out_trade_no, notify=False)
        with pytest.raises(WeChatUnavailable, match="not signed"):
            await pay.query(an_order().out_trade_no)  # a forged "SUCCESS" marks nothing paid
