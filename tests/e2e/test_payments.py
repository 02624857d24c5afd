"""Fees with WeChat Pay, over real HTTP: the app runs under uvicorn on a free loopback port, the
real wechatpy adapter talks to the fake WeChat Pay, and the fake POSTs its signed (or
encrypted) notifications to the app's webhooks, as WeChat does.

One app for the module, on a clock the tests move forward (tokens are checked against the real
time, so moving the app's clock does not expire them); every test makes its own applications.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from wechatpy.pay.utils import calculate_signature

from backend.app import create_app
from backend.clock import system_clock
from backend.db.url import with_database
from backend.payments.reconcile import reconcile_payments
from backend.read_side import wait_for_position
from backend.services import Services
from backend.settings import Settings
from backend.settings.payments import SANDBOX_API_KEY, PaymentSettings
from domain.payment import Payment, payment_id
from integrations.wechat.fake_pay import FakeWeChatPay
from integrations.wechat.pay_wire import parse_xml
from tests.conftest import TEMPLATE
from tests.e2e.conftest import DEMO_PASSWORD, scans

ID_CARD = "GG-00201-000"  # 居民身份证换领: police, one stage; fee 2000 fen
Headers = dict[str, str]
SUCCESS = b"<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"  # noqa: E501


class OffsetClock:
    """The real clock, moved forward by the tests."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return system_clock() + self.offset

    def advance(self, minutes: float) -> None:
        self.offset += timedelta(minutes=minutes)


class Shop:
    """The app under uvicorn, an HTTP client for it, and the calls the tests repeat."""

    def __init__(self, http: httpx.AsyncClient, services: Services, clock: OffsetClock) -> None:
        self.http = http
        self.services = services
        self.clock = clock
        self._staff: dict[str, Headers] = {}

    @property
    def fake(self) -> FakeWeChatPay:
        assert self.services.payments is not None
        assert self.services.payments.fake is not None
        return self.services.payments.fake

    async def citizen(self) -> Headers:
        code = f"sandbox-pay-{uuid.uuid4().hex[:8]}"
        response = await self.http.post("/api/v1/auth/wechat-login", json={"code": code})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    async def staff(self, username: str) -> Headers:
        if username not in self._staff:
            response = await self.http.post(
                "/api/v1/auth/staff-login", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._staff[username] = {"Authorization": f"Bearer {response.json()['token']}"}
        return self._staff[username]

    async def approved_id_card(self, citizen: Headers) -> str:
        """A 居民身份证换领 application, accepted and approved: the fee is due."""
        body = {
            "serviceCode": ID_CARD,
            "situationId": "expired",
            "form": {},
            "materials": await scans(self.http, citizen, "id-card", "household-register"),
            "delivery": {"method": "pickup"},
        }
        submitted = await self.http.post("/api/v1/applications", json=body, headers=citizen)
        assert submitted.status_code == 201, submitted.text
        app_id: str = submitted.json()["id"]
        await self.act("police-clerk", app_id, "accept")
        approved = await self.act(
            "police-reviewer", app_id, "review", {"decision": "approve", "opinion": "同意换领"}
        )
        assert approved["status"] == "awaiting_payment"
        return app_id

    async def act(
        self, username: str, app_id: str, action: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(
            f"/api/v1/admin/applications/{app_id}/{action}",
            json=body,
            headers=await self.staff(username),
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def order(self, citizen: Headers, app_id: str, expect: int = 201) -> dict[str, Any]:
        response = await self.http.post(f"/api/v1/applications/{app_id}/payment", headers=citizen)
        assert response.status_code == expect, response.text
        body: dict[str, Any] = response.json()
        return body

    async def progress(self, citizen: Headers, app_id: str) -> dict[str, Any]:
        """The citizen's view, once the read model has every event written so far."""
        await self.settle()
        response = await self.http.get(f"/api/v1/applications/{app_id}", headers=citizen)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def history(self, app_id: str) -> list[str]:
        response = await self.http.get(
            f"/api/v1/admin/applications/{app_id}/history", headers=await self.staff("supervisor")
        )
        assert response.status_code == 200, response.text
        return [e["type"] for e in response.json()]

    async def settle(self) -> None:
        """Wait until the read models have applied every event written so far."""
        async with self.services.pool.acquire() as conn:
            top = await self.services.recorder.max_notification_id(conn)
        await wait_for_position(self.services, top, "progress")

    async def stuck(self, app_id: str) -> dict[str, Any] | None:
        """The application's stuck case for payment, or None."""
        await self.settle()
        response = await self.http.get(
            "/api/v1/admin/stuck-cases?reason=payment_waiting",
            headers=await self.staff("supervisor"),
        )
        assert response.status_code == 200, response.text
        return next((c for c in response.json() if c["applicationId"] == app_id), None)

    async def payment(self, out_trade_no: str) -> Payment:
        return await self.services.repository.get(Payment, payment_id(out_trade_no))

    async def notify(self, body: bytes, path: str = "/webhooks/wechat/pay") -> httpx.Response:
        return await self.http.post(path, content=body, headers={"Content-Type": "text/xml"})

    async def reconcile(self) -> int:
        return await reconcile_payments(self.services)

    def in_thread(self, call: Callable[[], Any]) -> Awaitable[Any]:
        """The fake's blocking calls (it POSTs to the app) run off the event loop."""
        return asyncio.to_thread(call)


@pytest.fixture(scope="module")
async def shop(
    server_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Shop]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await admin.close()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("payments")),
        database_url=with_database(server_url, name),
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        watch_interval_seconds=3600,
        # the tests run the reconciler themselves
        payment=PaymentSettings(public_base_url=base, job_interval_seconds=3600),
    )
    clock = OffsetClock()
    app = create_app(settings, demo=True, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(60):
            while not server.started:
                assert not serving.done(), "uvicorn stopped while starting"
                await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            yield Shop(http, app.state.services, clock)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 30)
        sock.close()
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(autouse=True)
def _fresh_fake(shop: Shop) -> None:
    """Every test starts at the real time, with a fake that notifies and refunds by itself."""
    shop.clock.offset = timedelta()
    shop.fake.drop_notifications(False)
    shop.fake.auto_complete_refunds(True)
    shop.fake.set_down(False)


# --- the journey -------------------------------------------------------------------------------


async def test_a_paid_service_goes_from_approval_to_payment_to_the_result_over_http(
    shop: Shop,
) -> None:
    citizen = await shop.citizen()
    app_id = await shop.approved_id_card(citizen)
    progress = await shop.progress(citizen, app_id)
    assert progress["status"] == "awaiting_payment"
    assert progress["payment"] == {"amount": 2000, "status": "due"}

    first = await shop.order(citizen, app_id)
    assert first["amount"] == 2000
    assert first["outTradeNo"].endswith("-P01")
    assert first["id"] == first["paymentId"]  # a resource's own id is also ``id``
    params = first["jsapiParams"]
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"].startswith("prepay_id=wx")
    unsigned = {k: v for k, v in params.items() if k != "paySign"}
    assert params["paySign"] == calculate_signature(unsigned, SANDBOX_API_KEY)
    # asking again gives the same open order; an Idempotency-Key replays the first answer
    again = await shop.order(citizen, app_id, expect=200)
    assert (again["outTradeNo"], again["paymentId"]) == (first["outTradeNo"], first["paymentId"])
    assert again["jsapiParams"]["package"] == params["package"]
    keyed = {**citizen, "Idempotency-Key": f"pay-{app_id}"}
    replies = [
        await shop.http.post(f"/api/v1/applications/{app_id}/payment", headers=keyed)
        for _ in range(2)
    ]
    assert replies[0].json() == replies[1].json()
    assert len(shop.fake.calls("/pay/unifiedorder")) >= 1
    assert shop.fake.order(first["outTradeNo"]) is not None

    paid = await shop.http.post(f"/api/v1/sandbox/pay/{first['outTradeNo']}", headers=citizen)
    assert paid.status_code == 200, paid.text
    assert paid.json()["notified"] is True
    progress = await shop.progress(citizen, app_id)
    assert progress["status"] == "approved"
    assert progress["statusText"] == "已缴费，待出具结果"  # not "审批通过" again
    assert progress["payment"] == {"amount": 2000, "status": "paid"}
    receipt = progress["timeline"][-1]
    assert receipt["type"] == "Paid"
    assert receipt["text"] == f"已缴费20.00元，交易单号：{paid.json()['transactionId']}"

    issued = await shop.act("police-clerk", app_id, "issue-result", {"documentNo": "SFZ-2026-1"})
    assert issued["status"] == "ready_for_pickup"
    assert (await shop.history(app_id)).count("Paid") == 1
    # paying twice is impossible: the order is paid, and no fee is due any more
    twice = await shop.http.post(f"/api/v1/sandbox/pay/{first['outTradeNo']}", headers=citizen)
    assert twice.status_code == 409
    late = await shop.http.post(f"/api/v1/applications/{app_id}/payment", headers=citizen)
    assert late.status_code == 409


async def test_only_the_owner_orders_and_pays_and_only_a_due_fee(shop: Shop) -> None:
    owner, stranger = await shop.citizen(), await shop.citizen()
    app_id = await shop.approved_id_card(owner)
    order = await shop.order(owner, app_id)
    nobody = await shop.http.post(f"/api/v1/applications/{app_id}/payment", headers=stranger)
    assert nobody.status_code == 404
    assert nobody.json()["code"] == "not_found"
    unknown = await shop.http.post(f"/api/v1/applications/{uuid.uuid4()}/payment", headers=owner)
    assert unknown.status_code == 404
    foreign = await shop.http.post(f"/api/v1/sandbox/pay/{order['outTradeNo']}", headers=stranger)
    assert foreign.status_code == 404
    clerk = await shop.http.post(
        f"/api/v1/applications/{app_id}/payment", headers=await shop.staff("police-clerk")
    )
    assert clerk.status_code == 403
    assert (await shop.progress(owner, app_id))["status"] == "awaiting_payment"


async def test_concurrent_calls_make_one_order(shop: Shop) -> None:
    citizen = await shop.citizen()
    app_id = await shop.approved_id_card(citizen)
    path = f"/api/v1/applications/{app_id}/payment"
    replies = await asyncio.gather(*(shop.http.post(path, headers=citizen) for _ in range(8)))
    assert sorted(r.status_code for r in replies) == [200] * 7 + [201]
    assert {r.json()["outTradeNo"] for r in replies} == {replies[0].json()["outTradeNo"]}
    assert {r.json()["jsapiParams"]["package"] for r in replies} == {
        replies[0].json()["jsapiParams"]["package"]
    }
    rows = await shop.services.pool.fetch(
        "SELECT out_trade_no FROM payment_orders WHERE application_id = $1", uuid.UUID(app_id)
    )
    assert len(rows) == 1


# --- notifications that must not pay -----------------------------------------------------------


async def test_forged_wrong_amount_and_wrong_merchant_notifications_pay_nothing(
    shop: Shop,
) -> None:
    citizen = await shop.citizen()
    app_id = await shop.approved_id_card(citizen)
    number = (await shop.order(citizen, app_id))["outTradeNo"]
    await shop.in_thread(lambda: shop.fake.pay(number, notify=False))

    forged = await shop.notify(shop.fake.notification(number, key="not-the-merchant-key"))
    assert forged.status_code == 400
    assert parse_xml(forged.content) == {"return_code": "FAIL", "return_msg": "签名错误"}
    for garbage in (b"", b"{}", b"<xml><a>1</a>", b'<!DOCTYPE x [<!ENTITY e "e">]><xml/>'):
        refused = await shop.notify(garbage)
        assert refused.status_code == 400
        assert parse_xml(refused.content)["return_code"] == "FAIL"
    unsigned = shop.fake.notification(number).replace(b"<sign>", b"<nosign>")
    unsigned = unsigned.replace(b"</sign>", b"</nosign>")
    assert (await shop.notify(unsigned)).status_code == 400

    cheap = await shop.notify(shop.fake.notification(number, total_fee="1", cash_fee="1"))
    assert cheap.status_code == 200
    assert parse_xml(cheap.content) == {
        "return_code": "FAIL",
        "return_msg": "支付金额1分与应缴2000分不符",
    }
    assert (await shop.notify(shop.fake.notification(number, total_fee="1"))).status_code == 200
    case = await shop.stuck(app_id)
    assert case is not None
    assert case["explanations"] == ["缴费异常：支付金额1分与应缴2000分不符"]

    other_merchant = await shop.notify(shop.fake.notification(number, mch_id="1900000999"))
    assert parse_xml(other_merchant.content)["return_code"] == "FAIL"
    other_app = await shop.notify(shop.fake.notification(number, appid="wx-someone-else"))
    assert parse_xml(other_app.content)["return_code"] == "FAIL"
    case = await shop.stuck(app_id)
    assert case is not None
    assert "商户信息不符" in case["explanations"][0]
    failed_trade = await shop.notify(shop.fake.notification(number, result_code="FAIL"))
    assert failed_trade.content == SUCCESS  # acknowledged: a failed payment books nothing
    unknown = await shop.notify(shop.fake.notification(number, out_trade_no="NO-SUCH-ORDER"))
    assert parse_xml(unknown.content) == {"return_code": "FAIL", "return_msg": "订单不存在"}

    progress = await shop.progress(citizen, app_id)
    assert progress["status"] == "awaiting_payment"
    assert progress["payment"]["status"] == "due"
    history = await shop.history(app_id)
    assert "Paid" not in history
    assert history.count("PaymentProblem") == 3  # amount, merchant, appid: once each
    payment = await shop.payment(number)
    assert payment.state == "created"
    assert len(payment.problems) == 3

    # WeChat's genuine notification (here signed with HMAC-SHA256) still books the payment
    genuine = await shop.notify(shop.fake.notification(number, sign_type="HMAC-SHA256"))
    assert genuine.content == SUCCESS
    assert (await shop.progress(citizen, app_id))["payment"]["status"] == "paid"
    assert await shop.stuck(app_id) is None


async def test_the_same_notification_fifty_times_at_once_books_one_payment(shop: Shop) -> None:
    citizen = await shop.citizen()
    app_id = await shop.approved_id_card(citizen)
    number = (await shop.order(citizen, app_id))["outTradeNo"]
    await shop.in_thread(lambda: shop.fake.pay(number, notify=False))
    notification = shop.fake.notification(number)

    started = time.perf_counter()
    replies = await asyncio.gather(*(shop.notify(notification) for _ in range(50)))
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"50 notifications took {elapsed:.2f} s; WeChat waits 5 s for each"
    assert [r.status_code for r in replies] == [200] * 50
    assert {r.content for r in replies} == {SUCCESS}
    assert (await shop.history(app_id)).count("Paid") == 1
    events = await shop.services.repository.events(payment_id(number))
    assert [type(e).__name__ for e in events].count("Paid") == 1
    # WeChat retries later too: still one payment
    assert (await shop.notify(notification)).content == SUCCESS
    assert (await shop.history(app_id)).count("Paid") == 1


# --- expiry and reconciliation -----------------------------------------------------------------


async def test_a_lost_notification_is_recovered_by_asking_wechat(shop: Shop) -> None:
    citizen = await shop.citizen()
    app_id = await shop.approved_id_card(citizen)
    number = (await shop.order(citizen, app_id))["outTradeNo"]
    shop.fake.drop_notifications()
    paid = await shop.http.post(f"/api/v1/sandbox/pay/{number}", headers=citizen)
    assert paid.status_code == 200, paid.text
    assert paid.json()["notified"] is False
    assert (await shop.progress(citizen, app_id))["status"] == "awaiting_payment"

    await shop.reconcile()  # too early: WeChat may still be notifying
    assert (await shop.payment(number)).state == "created"
    shop.clock.advance(6)
    await shop.reconcile()
    payment = await shop.payment(number)
    assert payment.state == "paid"
    assert payment.transaction_id == paid.json()["transactionId"]
    progress = await shop.progress(citizen, app_id)
    assert progress["status"] == "approved"
    assert progress["payment"] == {"amount": 2000, "status": "paid"}
    # the notification WeChat sends again later changes nothing
    assert (await shop.notify(shop.fake.notification(number))).content == SUCCESS
    assert (await shop.history(app_id)).count("Paid") == 1


async def test_an_expired_order_is_closed_and_the_next_call_makes_a_new_one(shop: Shop) -> None:
    citizen = await shop.citizen()
    app_id = await shop.approved_id_card(citizen)
    first = (await shop.order(citizen, app_id))["outTradeNo"]
    shop.clock.advance(31)
    await shop.reconcile()
    assert (await shop.payment(first)).state == "closed"
    fake_first = shop.fake.order(first)
    assert fake_first is not None
    assert fake_first.state == "CLOSED"
    late = await shop.http.post(f"/api/v1/sandbox/pay/{first}", headers=citizen)
    assert late.status_code == 409

    second = (await shop.order(citizen, app_id))["outTradeNo"]
    assert second.endswith("-P02")
    # expired again, and nobody ran the job: the next call closes it before a new order
    shop.clock.advance(31)
    third = (await shop.order(citizen, app_id))["outTradeNo"]
    assert third.endswith("-P03")
    assert (await shop.payment(second)).state == "closed"
    assert [c["out_trade_no"] for c in shop.fake.calls("/pay/closeorder")].count(second) == 1

    paid = await shop.http.post(f"/api/v1/sandbox/pay/{third}", headers=citizen)
    assert paid.json()["notified"] is True
    assert (await shop.progress(citizen, app_id))["payment"]["status"] == "paid"


async def test_an_order_paid_just_before_it_was_closed_is_booked_not_replaced(
    shop: Shop,
) -> None:
    citizen = await shop.citizen()
    app_id = await shop.approved_id_card(citizen)
    number = (await shop.order(citizen, app_id))["outTradeNo"]
    shop.fake.drop_notifications()
    await shop.http.post(f"/api/v1/sandbox/pay/{number}", headers=citizen)
    shop.clock.advance(31)
    again = await shop.http.post(f"/api/v1/applications/{app_id}/payment", headers=citizen)
    assert again.status_code == 409  # closing said ORDERPAID: the fee is booked instead
    assert (await shop.payment(number)).state == "paid"
    assert (await shop.progress(citizen, app_id))["payment"]["status"] == "paid"


# --- refunds -----------------------------------------------------------------------------------


async def _paid(shop: Shop, citizen: Headers) -> tuple[str, str]:
    app_id = await shop.approved_id_card(citizen)
    number = (await shop.order(citizen, app_id))["outTradeNo"]
    paid = await shop.http.post(f"/api/v1/sandbox/pay/{number}", headers=citizen)
    assert paid.json()["notified"] is True
    return app_id, number


async def test_an_admin_refund_round_trip_shows_on_the_progress(shop: Shop) -> None:
    citizen = await shop.citizen()
    app_id, number = await _paid(shop, citizen)
    shop.fake.auto_complete_refunds(False)
    path = f"/api/v1/admin/applications/{app_id}/refund"
    body = {"reason": "费用已减免"}
    clerk = await shop.http.post(path, json=body, headers=await shop.staff("police-clerk"))
    assert clerk.status_code == 403
    refund = await shop.http.post(path, json=body, headers=await shop.staff("admin"))
    assert refund.status_code == 200, refund.text
    assert refund.json()["status"] == "refunding"
    twice = await shop.http.post(path, json=body, headers=await shop.staff("admin"))
    assert twice.status_code == 409
    assert (await shop.progress(citizen, app_id))["payment"]["status"] == "paid"

    payment = await shop.payment(number)
    assert payment.out_refund_no is not None
    assert payment.refund_id is not None  # WeChat took the application
    out_refund_no = payment.out_refund_no
    delivery = await shop.in_thread(lambda: shop.fake.complete_refund(out_refund_no))
    assert delivery is not None
    assert delivery.acknowledged
    progress = await shop.progress(citizen, app_id)
    assert progress["payment"] == {"amount": 2000, "status": "refunded"}
    assert progress["timeline"][-1]["text"] == "已退款20.00元：费用已减免"

    # WeChat's retry of the refund notification changes nothing; a forged one is refused
    again = await shop.notify(
        shop.fake.refund_notification(out_refund_no), "/webhooks/wechat/refund"
    )
    assert again.content == SUCCESS
    assert (await shop.history(app_id)).count("Refunded") == 1
    forged = await shop.notify(
        shop.fake.refund_notification(out_refund_no, key="not-the-merchant-key"),
        "/webhooks/wechat/refund",
    )
    assert forged.status_code == 400
    assert parse_xml(forged.content)["return_code"] == "FAIL"
    assert (await shop.payment(number)).state == "refunded"


async def test_withdrawing_after_paying_refunds_the_fee_even_when_the_notice_is_lost(
    shop: Shop,
) -> None:
    citizen = await shop.citizen()
    app_id, number = await _paid(shop, citizen)
    shop.fake.auto_complete_refunds(False)
    withdrawn = await shop.http.post(
        f"/api/v1/applications/{app_id}/withdraw", json={"reason": "已在外地办理"}, headers=citizen
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    payment = await shop.payment(number)
    assert payment.state == "refunding"
    assert payment.out_refund_no is not None
    out_refund_no = payment.out_refund_no
    # the money goes back, but WeChat's notification never arrives
    await shop.in_thread(lambda: shop.fake.complete_refund(out_refund_no, notify=False))
    await shop.reconcile()
    assert (await shop.payment(number)).state == "refunding"
    shop.clock.advance(6)
    await shop.reconcile()
    assert (await shop.payment(number)).state == "refunded"
    progress = await shop.progress(citizen, app_id)
    assert progress["status"] == "withdrawn"
    assert progress["payment"] == {"amount": 2000, "status": "refunded"}
    assert progress["timeline"][-1]["text"] == "已退款20.00元：申请人撤回申请：已在外地办理"


async def test_a_refund_that_wechat_cannot_take_now_is_sent_again_later(shop: Shop) -> None:
    citizen = await shop.citizen()
    app_id, number = await _paid(shop, citizen)
    shop.fake.set_down(True)
    refund = await shop.http.post(
        f"/api/v1/admin/applications/{app_id}/refund",
        json={"reason": "重复收费"},
        headers=await shop.staff("admin"),
    )
    assert refund.status_code == 200, refund.text
    assert refund.json()["status"] == "refunding"
    assert (await shop.payment(number)).refund_id is None
    shop.fake.set_down(False)
    shop.clock.advance(6)
    shop.fake.auto_complete_refunds(False)
    await shop.reconcile()  # sends the refund again: WeChat takes it now
    payment = await shop.payment(number)
    assert payment.refund_id is not None
    assert payment.out_refund_no is not None
    out_refund_no = payment.out_refund_no
    delivery = await shop.in_thread(lambda: shop.fake.complete_refund(out_refund_no))
    assert delivery is not None
    assert delivery.acknowledged
    assert (await shop.payment(number)).state == "refunded"
    assert (await shop.progress(citizen, app_id))["payment"]["status"] == "refunded"


async def test_no_order_before_the_fee_is_due_and_a_key_binds_one_application(
    shop: Shop,
) -> None:
    citizen = await shop.citizen()
    body = {
        "serviceCode": ID_CARD,
        "situationId": "expired",
        "form": {},
        "materials": await scans(shop.http, citizen, "id-card", "household-register"),
        "delivery": {"method": "pickup"},
    }
    submitted = await shop.http.post("/api/v1/applications", json=body, headers=citizen)
    early = await shop.http.post(
        f"/api/v1/applications/{submitted.json()['id']}/payment", headers=citizen
    )
    assert early.status_code == 409
    assert early.json()["code"] == "no_fee_due"

    # an Idempotency-Key used again on another application is another request: 409
    one, two = await shop.approved_id_card(citizen), await shop.approved_id_card(citizen)
    key = {**citizen, "Idempotency-Key": "same-key"}
    first = await shop.http.post(f"/api/v1/applications/{one}/payment", headers=key)
    assert first.status_code == 201
    other = await shop.http.post(f"/api/v1/applications/{two}/payment", headers=key)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
