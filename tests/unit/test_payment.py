"""The Payment aggregate, the WeChat Pay v2 wire format (signatures, XML), and the withdrawal
rule after payment, without a database."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from typing import Any

import pytest
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac

from domain.actors import Actor
from domain.application import Application, Delivery, MaterialRef
from domain.calendar import WorkingCalendar
from domain.catalog import parse_definition
from domain.errors import InvalidState, ValidationFailed
from domain.payment import Payment, out_trade_no_for, payment_id
from integrations.wechat.pay_wire import (
    MalformedXml,
    parse_xml,
    reply,
    sign,
    signature_ok,
    to_xml,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=CST)
KEY = "192006250b4c09247ec02edce69f6a2d"
NUMBER = "20260302-GG00201-000001"
CITIZEN_ID = uuid.UUID("0b7a4d4e-8a55-4d0b-9d7e-6a1f4f0e0001")
CITIZEN = Actor(id=str(CITIZEN_ID), role="citizen")
ADMIN = Actor(id="a-1", role="admin")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def order(attempt: int = 1, amount: int = 2000) -> Payment:
    return Payment.create(
        application_id=uuid.uuid4(),
        citizen_id=CITIZEN_ID,
        application_number=NUMBER,
        attempt=attempt,
        amount=amount,
        description="居民身份证换领",
        at=T0,
        expires_at=at(30),
    )


def paid_order() -> Payment:
    payment = order()
    payment.place(prepay_id="wx1", at=at(1))
    assert payment.record_paid(
        transaction_id="4200001",
        amount=2000,
        paid_at="20260302094000",
        source="notification",
        at=at(2),
    )
    return payment


# --- the order ---------------------------------------------------------------------------------


def test_the_order_number_is_the_application_number_and_attempt_within_wechats_limit() -> None:
    number = out_trade_no_for(NUMBER, 7)
    assert number == f"{NUMBER}-P07"
    assert len(number) <= 32
    assert payment_id(number) == payment_id(number) != payment_id(out_trade_no_for(NUMBER, 8))
    assert order().id == payment_id(f"{NUMBER}-P01")
    with pytest.raises(ValueError, match="attempt"):
        out_trade_no_for(NUMBER, 100)


@pytest.mark.parametrize("amount", [0, -1, True])
def test_an_order_is_for_a_positive_whole_number_of_fen(amount: int) -> None:
    with pytest.raises(ValidationFailed):
        order(amount=amount)


def test_an_open_order_expires_at_its_time() -> None:
    payment = order()
    assert payment.is_open
    assert not payment.is_expired(at(29))
    assert payment.is_expired(at(30))
    assert payment.close(reason="超时", at=at(31))
    assert not payment.is_expired(at(40))
    assert not payment.close(reason="超时", at=at(41))  # closed once
    with pytest.raises(InvalidState):
        payment.place(prepay_id="wx2", at=at(42))


def test_placing_the_same_prepay_id_again_changes_nothing() -> None:
    payment = order()
    assert payment.place(prepay_id="wx1", at=at(1))
    assert not payment.place(prepay_id="wx1", at=at(2))
    assert [type(e).__name__ for e in payment.collect_events()] == ["Created", "OrderPlaced"]


# --- the payment -------------------------------------------------------------------------------


def test_a_second_notice_of_the_same_transaction_changes_nothing() -> None:
    payment = paid_order()
    payment.collect_events()
    again = payment.record_paid(
        transaction_id="4200001",
        amount=2000,
        paid_at="20260302094000",
        source="query",
        at=at(5),
    )
    assert again is False
    assert payment.collect_events() == []
    assert payment.state == "paid"


def test_another_transaction_on_a_paid_order_is_refused() -> None:
    payment = paid_order()
    with pytest.raises(InvalidState):
        payment.record_paid(
            transaction_id="4200002", amount=2000, paid_at="x", source="notification", at=at(5)
        )


def test_a_payment_of_another_amount_is_refused() -> None:
    payment = order()
    with pytest.raises(ValidationFailed):
        payment.record_paid(
            transaction_id="4200001", amount=1, paid_at="x", source="notification", at=at(5)
        )
    assert payment.state == "created"


def test_money_taken_on_a_closed_order_is_recorded_and_flagged() -> None:
    payment = order()
    payment.close(reason="超时", at=at(31))
    assert payment.record_paid(
        transaction_id="4200001", amount=2000, paid_at="x", source="query", at=at(32)
    )
    assert payment.state == "paid"
    assert payment.problems == ["订单关闭后仍收到支付，需核实退款"]


def test_a_problem_is_recorded_once_per_reason() -> None:
    payment = order()
    assert payment.report_problem(reason="金额不符", transaction_id="t", at=at(1))
    assert not payment.report_problem(reason="金额不符", transaction_id="t", at=at(2))
    assert payment.report_problem(reason="商户不符", transaction_id="t", at=at(3))
    assert payment.problems == ["金额不符", "商户不符"]


# --- refunds -----------------------------------------------------------------------------------


def test_a_refund_round_trip_and_its_replays() -> None:
    payment = paid_order()
    with pytest.raises(ValidationFailed):
        payment.request_refund(actor=ADMIN, reason=" ", at=at(10))
    number = payment.request_refund(actor=ADMIN, reason="多收费用", at=at(10))
    assert number == f"{NUMBER}-P01-R1"
    assert payment.state == "refunding"
    with pytest.raises(InvalidState):
        payment.request_refund(actor=ADMIN, reason="再退一次", at=at(11))
    assert payment.accept_refund(out_refund_no=number, refund_id="5001", at=at(11))
    assert not payment.accept_refund(out_refund_no=number, refund_id="5001", at=at(12))
    with pytest.raises(ValidationFailed):
        payment.record_refunded(out_refund_no=number, refund_id="5001", amount=1, at=at(13))
    assert payment.record_refunded(out_refund_no=number, refund_id="5001", amount=2000, at=at(13))
    assert not payment.record_refunded(
        out_refund_no=number, refund_id="5001", amount=2000, at=at(14)
    )
    assert payment.state == "refunded"
    with pytest.raises(InvalidState):
        payment.request_refund(actor=ADMIN, reason="再退一次", at=at(15))


def test_a_failed_refund_can_be_asked_again_with_a_new_number() -> None:
    payment = paid_order()
    first = payment.request_refund(actor=ADMIN, reason="多收费用", at=at(10))
    assert payment.record_refund_failure(out_refund_no=first, reason="退款异常", at=at(11))
    assert payment.state == "paid"
    assert not payment.record_refund_failure(out_refund_no=first, reason="退款异常", at=at(12))
    second = payment.request_refund(actor=ADMIN, reason="多收费用", at=at(13))
    assert second.endswith("-R2")
    with pytest.raises(InvalidState):
        payment.record_refunded(out_refund_no=first, refund_id="5001", amount=2000, at=at(14))


def test_an_unpaid_order_cannot_be_refunded() -> None:
    with pytest.raises(InvalidState):
        order().request_refund(actor=ADMIN, reason="退款", at=at(1))


# --- withdrawal after payment -------------------------------------------------------------------


def _id_card_application() -> Application:
    resource = files("backend") / "demo" / "catalog.json"
    raw: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    entry = next(e for e in raw["services"] if e["code"] == "GG-00201-000")
    app = Application.submit(
        id=uuid.uuid4(),
        number=NUMBER,
        citizen_id=CITIZEN_ID,
        service=parse_definition(entry),
        service_version=1,
        situation_id="expired",
        form={},
        materials=(
            MaterialRef(material_id="id-card", certificate_id="C1"),
            MaterialRef(material_id="household-register", certificate_id="C2"),
        ),
        delivery=Delivery(method="pickup"),
        at=T0,
    )
    police = Actor(id="p", role="clerk", department="市公安局")
    app.accept(actor=police, calendar=WorkingCalendar(), at=at(1))
    app.review(
        actor=Actor(id="r", role="reviewer", department="市公安局"),
        decision="approve",
        opinion="同意",
        at=at(2),
    )
    assert app.status == "awaiting_payment"
    return app


def test_the_citizen_may_withdraw_after_paying_until_the_result_is_issued() -> None:
    unpaid = _id_card_application()
    with pytest.raises(InvalidState):
        unpaid.withdraw(actor=CITIZEN, reason="不办了", at=at(3))

    paid = _id_card_application()
    paid.record_payment(payment_id="p", amount=2000, transaction_id="t", at=at(3))
    assert paid.status == "approved"
    assert paid.paid_and_not_issued
    paid.withdraw(actor=CITIZEN, reason="不办了", at=at(4))
    assert paid.status == "withdrawn"

    issued = _id_card_application()
    issued.record_payment(payment_id="p", amount=2000, transaction_id="t", at=at(3))
    issued.issue_result(
        actor=Actor(id="p", role="clerk", department="市公安局"), document_no="D1", at=at(4)
    )
    with pytest.raises(InvalidState):
        issued.withdraw(actor=CITIZEN, reason="不办了", at=at(5))


# --- the wire format ---------------------------------------------------------------------------

FIELDS = {
    "appid": "wxd930ea5d5a258f4f",
    "mch_id": "10000100",
    "device_info": "1000",
    "body": "居民身份证换领-20260302-GG00201-000001",
    "nonce_str": "ibuaiVcKdpRxkhJA",
    "total_fee": "2000",
    "empty": "",
}


@pytest.mark.parametrize(
    ("sign_type", "reference"),
    [("MD5", calculate_signature), ("HMAC-SHA256", calculate_signature_hmac)],
)
def test_our_signature_is_wechatpys(sign_type: Any, reference: Any) -> None:
    assert sign(FIELDS, KEY, sign_type) == reference(FIELDS, KEY)


def test_a_signature_is_checked_with_the_type_the_document_names() -> None:
    md5 = {**FIELDS, "sign": sign(FIELDS, KEY)}
    assert signature_ok(md5, KEY)
    assert not signature_ok(md5, "another-key")
    assert not signature_ok({**md5, "total_fee": "1"}, KEY)
    assert not signature_ok({**md5, "sign": md5["sign"].lower()}, KEY)
    assert not signature_ok({**md5, "sign": "签名"}, KEY)  # not ASCII: refused, no crash
    assert not signature_ok(FIELDS, KEY)  # no sign at all
    hmac_fields = {**FIELDS, "sign_type": "HMAC-SHA256"}
    signed = {**hmac_fields, "sign": sign(hmac_fields, KEY, "HMAC-SHA256")}
    assert signature_ok(signed, KEY)
    assert not signature_ok(md5, KEY, accepted=("HMAC-SHA256",))  # no downgrade to MD5
    assert not signature_ok({**signed, "sign_type": "SHA1"}, KEY)


def test_xml_round_trip_keeps_every_character() -> None:
    fields = {"return_code": "SUCCESS", "body": "a]]>b<&>中文", "total_fee": "2000"}
    raw = to_xml(fields)
    assert b"<total_fee>2000</total_fee>" in raw
    assert parse_xml(raw) == fields


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<json>{}</json>",
        b"<xml><a><b>1</b></a></xml>",
        b"<xml><a>1</a><a>2</a></xml>",
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<xml><a>&x;</a></xml>",
        b'<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><c>&b;</c></xml>',
        b"<xml><a>\x00</a></xml>",
        b"<xml>" + b"<a>1</a>" * 20_000 + b"</xml>",
    ],
)
def test_anything_but_a_flat_wechat_document_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedXml):
        parse_xml(body)


def test_the_reply_is_exactly_what_wechat_expects() -> None:
    assert reply(True) == (
        b"<xml><return_code><![CDATA[SUCCESS]]></return_code>"
        b"<return_msg><![CDATA[OK]]></return_msg></xml>"
    )
    assert parse_xml(reply(False, "签名错误")) == {"return_code": "FAIL", "return_msg": "签名错误"}
