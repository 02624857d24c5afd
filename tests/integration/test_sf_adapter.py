"""Our SF Express adapter over HTTP against the fake SF, which checks SF's wire format."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from integrations.courier import (
    Contact,
    CourierOrder,
    CourierRefused,
    CourierUnavailable,
    FakeSf,
    SfExpress,
    msg_digest,
)


@pytest.fixture
def fake() -> Iterator[FakeSf]:
    with FakeSf() as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0, connect=1.0)) as c:
        yield c


def adapter(fake: FakeSf, client: httpx.AsyncClient, check_word: str | None = None) -> SfExpress:
    return SfExpress(
        client,
        partner_id=fake.partner_id,
        check_word=check_word or fake.check_word,
        url=fake.url,
        monthly_card="7551234567",
    )


def order(order_id: str = "OW0001", detail: str = "文三路100号") -> CourierOrder:
    return CourierOrder(
        order_id=order_id,
        sender=Contact(name="市市场监督管理局", phone="12345", address="市民中心一楼"),
        recipient=Contact(
            name="张三",
            phone="13800138000",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            address=detail,
        ),
        remark="办件编号20260415-XK00101-000001",
    )


async def test_booking_an_order_gets_a_waybill_number(
    fake: FakeSf, client: httpx.AsyncClient
) -> None:
    booking = await adapter(fake, client).book(order())
    assert booking.order_id == "OW0001"
    assert re.fullmatch(r"SF\d{13}", booking.waybill_no)
    (form,) = fake.requests
    assert form["serviceCode"] == "EXP_RECE_CREATE_ORDER"
    assert form["partnerID"] == fake.partner_id
    assert form["msgDigest"] == msg_digest(form["msgData"], form["timestamp"], fake.check_word)
    body = json.loads(form["msgData"])
    assert body["orderId"] == "OW0001"
    assert body["monthlyCard"] == "7551234567"
    recipient = next(c for c in body["contactInfoList"] if c["contactType"] == 2)
    assert (recipient["contact"], recipient["address"]) == ("张三", "文三路100号")


async def test_booking_the_same_order_again_gives_the_same_waybill_and_one_parcel(
    fake: FakeSf, client: httpx.AsyncClient
) -> None:
    sf = adapter(fake, client)
    first = await sf.book(order())
    again = await sf.book(order())
    assert again == first
    assert len(fake.orders()) == 1
    assert [r["serviceCode"] for r in fake.requests] == [
        "EXP_RECE_CREATE_ORDER",
        "EXP_RECE_CREATE_ORDER",  # 8016 重复下单 ...
        "EXP_RECE_SEARCH_ORDER_RESP",  # ... so we ask for the order we already have
    ]
    other = await sf.book(order("OW0002"))
    assert other.waybill_no != first.waybill_no


async def test_a_wrong_check_word_is_refused_by_the_digest_check(
    fake: FakeSf, client: httpx.AsyncClient
) -> None:
    with pytest.raises(CourierRefused) as info:
        await adapter(fake, client, check_word="not-the-check-word").book(order())
    assert info.value.code == "A1006"
    assert fake.orders() == []


async def test_an_incomplete_order_is_refused(fake: FakeSf, client: httpx.AsyncClient) -> None:
    with pytest.raises(CourierRefused) as info:
        await adapter(fake, client).book(order(detail=""))
    assert info.value.code == "1014"


async def test_sf_down_slow_or_gone_is_unavailable_not_refused(
    fake: FakeSf, client: httpx.AsyncClient
) -> None:
    sf = adapter(fake, client)
    fake.set_down(True)
    with pytest.raises(CourierUnavailable):
        await sf.book(order())
    fake.set_down(False)
    fake.set_latency(1.0)
    async with httpx.AsyncClient(timeout=0.2) as impatient:
        with pytest.raises(CourierUnavailable):
            await adapter(fake, impatient).book(order("OW0003"))
    fake.set_latency(0)
    url = fake.url
    fake.stop()
    with pytest.raises(CourierUnavailable):
        await SfExpress(client, partner_id="p", check_word="c", url=url).book(order())
