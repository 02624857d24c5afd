"""Courier delivery of results over real HTTP: the app served by uvicorn on loopback, in sandbox
mode, booking through our SF adapter with the fake SF, which pushes routes back to our webhook.

One server for the module (starting the app costs seconds); every test makes its own
applications. The booking dispatcher runs as in production (woken by NOTIFY).
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn

from backend.accounts.commands import create_staff
from backend.app import create_app
from backend.clock import system_clock
from backend.deliveries.commands import courier_order
from backend.deliveries.dispatcher import BookingDispatcher
from backend.read_side import wait_for_position
from backend.services import Services
from backend.settings import Settings
from backend.settings.couriers import CourierSettings
from domain.application import Application
from integrations.courier import FakeSf, PushReply
from tests.conftest import scratch_database
from tests.e2e.conftest import DEMO_PASSWORD, PNG, SECRET, required_materials

FOOD = "XK-00101-000"  # AMR -> (health || fire) -> AMR; pickup or courier
TOKEN = "test-push-token"
ADDRESS = {
    "name": "张三",
    "phone": "13800138000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路100号",
}
Headers = dict[str, str]
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _eventually(check: Callable[[], Awaitable[T | None]], what: str, within: float = 10) -> T:
    """Poll ``check`` until it returns something (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        found = await check()
        if found is not None:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Site:
    """The served app, an HTTP client to it, and the calls the tests repeat."""

    def __init__(self, client: httpx.AsyncClient, services: Services, base: str) -> None:
        self.client = client
        self.services = services
        self.base = base
        self._staff: dict[str, Headers] = {}

    @property
    def fake(self) -> FakeSf:
        couriers = self.services.couriers
        assert couriers is not None
        assert couriers.fake_sf is not None
        return couriers.fake_sf

    async def staff(self, username: str) -> Headers:
        if username not in self._staff:
            response = await self.client.post(
                "/api/v1/auth/staff-login", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._staff[username] = {"Authorization": f"Bearer {response.json()['token']}"}
        return self._staff[username]

    async def citizen(self) -> Headers:
        code = f"sandbox-courier-{uuid.uuid4().hex[:8]}"
        response = await self.client.post("/api/v1/auth/wechat-login", json={"code": code})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    async def upload(self, headers: Headers) -> str:
        response = await self.client.post(
            "/api/v1/files", files={"file": ("scan.png", PNG, "image/png")}, headers=headers
        )
        assert response.status_code == 201, response.text
        file_id: str = response.json()["fileId"]
        return file_id

    async def act(self, username: str, app_id: str, action: str, body: Any = None) -> Any:
        response = await self.client.post(
            f"/api/v1/admin/applications/{app_id}/{action}",
            json=body,
            headers=await self.staff(username),
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def issued(self) -> tuple[str, Headers]:
        """A courier application of a new citizen, approved by every stage, result issued."""
        citizen = await self.citizen()
        guide = (await self.client.get(f"/api/v1/services/{FOOD}")).json()
        materials = [
            {"materialId": m, "fileId": await self.upload(citizen)}
            for m in required_materials(guide, "new")
        ]
        body = {
            "serviceCode": FOOD,
            "situationId": "new",
            "form": {"shopName": "老王面馆"},
            "materials": materials,
            "delivery": {"method": "courier", "address": ADDRESS},
        }
        response = await self.client.post("/api/v1/applications", json=body, headers=citizen)
        assert response.status_code == 201, response.text
        app_id: str = response.json()["id"]
        await self.act("amr-clerk", app_id, "accept")
        approve = {"decision": "approve", "opinion": "同意"}
        for reviewer in ("amr-reviewer", "health-reviewer", "fire-reviewer", "amr-reviewer"):
            await self.act(reviewer, app_id, "review", approve)
        issued = await self.act("amr-clerk", app_id, "issue-result", {"documentNo": "JY1"})
        assert issued["status"] == "result_issued"
        return app_id, citizen

    async def settle(self) -> None:
        async with self.services.pool.acquire() as conn:
            top = await self.services.recorder.max_notification_id(conn)
        for name in ("progress", "deliveries"):
            await wait_for_position(self.services, top, name)

    async def progress(self, citizen: Headers, app_id: str) -> dict[str, Any]:
        await self.settle()
        response = await self.client.get(f"/api/v1/applications/{app_id}", headers=citizen)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def dispatched(self, citizen: Headers, app_id: str, not_waybill: str = "") -> str:
        """Wait until the progress shows the result out with a (new) waybill number."""

        async def waybill() -> str | None:
            delivery = (await self.progress(citizen, app_id)).get("delivery") or {}
            number = delivery.get("waybillNo")
            return number if number and number != not_waybill else None

        return await _eventually(waybill, f"a waybill for {app_id}")

    async def deliveries(self, username: str = "courier-sf") -> list[dict[str, Any]]:
        await self.settle()
        response = await self.client.get(
            "/api/v1/courier/deliveries", headers=await self.staff(username)
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()
        return items

    async def delivery_of(self, app_id: str) -> dict[str, Any]:
        return next(d for d in await self.deliveries() if d["applicationId"] == app_id)

    async def report(
        self, delivery_id: str, type_: str, username: str = "courier-sf", **fields: Any
    ) -> httpx.Response:
        body = {"type": type_, "at": _now_iso(), **fields}
        return await self.client.post(
            f"/api/v1/courier/deliveries/{delivery_id}/events",
            json=body,
            headers=await self.staff(username),
        )

    async def push(self, *routes: dict[str, str], url: str | None = None) -> PushReply:
        reply = await asyncio.to_thread(self.fake.push_routes, list(routes), url=url)
        await self.settle()
        return reply

    async def seen_routes(self) -> int:
        count: int = await self.services.pool.fetchval("SELECT count(*) FROM courier_routes_seen")
        return count


def _now_iso() -> str:
    return system_clock().isoformat()


@pytest.fixture(scope="module")
async def site(
    server_url: str, demo_template: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    async with scratch_database(server_url, demo_template) as url:
        settings = Settings(
            data_dir=Path(tmp_path_factory.mktemp("courier")),
            database_url=url,
            secret_key=SECRET,
            courier=CourierSettings(push_token=TOKEN, poll_seconds=0.5, max_attempts=2),
        )
        app = create_app(settings, demo=True)
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        task = asyncio.create_task(server.serve())
        try:
            await _eventually(
                lambda: asyncio.sleep(0, result=True if server.started else None),
                "the server to start",
                within=30,
            )
            base = f"http://127.0.0.1:{port}"
            services: Services = app.state.services
            assert services.couriers is not None
            assert services.couriers.fake_sf is not None
            services.couriers.fake_sf.push_url = f"{base}/webhooks/courier/sf?token={TOKEN}"
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                yield Site(client, services, base)
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 30)


# --- the journey ------------------------------------------------------------------------------


async def test_an_issued_courier_result_is_booked_scanned_delivered_and_completes_the_case(
    site: Site,
) -> None:
    app_id, citizen = await site.issued()
    waybill = await site.dispatched(citizen, app_id)

    progress = await site.progress(citizen, app_id)
    assert progress["status"] == "delivering"
    delivery = progress["delivery"]
    assert (delivery["method"], delivery["company"], delivery["status"]) == (
        "courier",
        "sf",
        "dispatched",
    )
    assert "运单号" + waybill in progress["timeline"][-1]["text"]
    assert "address" not in json.dumps(progress["delivery"])  # no PII in the citizen's view
    (order,) = [o for o in site.fake.orders() if o.waybill_no == waybill]
    recipient = next(c for c in order.msg_data["contactInfoList"] if c["contactType"] == 2)
    assert (recipient["contact"], recipient["mobile"]) == ("张三", "13800138000")

    task = await site.delivery_of(app_id)
    assert task["waybillNo"] == waybill
    assert task["status"] == "booked"
    assert task["address"] == ADDRESS  # the courier of the delivery sees where to go
    assert task["updatedAt"].endswith("+08:00")  # one zone in every answer, lists too

    courier = await site.staff("courier-sf")
    for step in ("picked_up", "in_transit", "out_for_delivery"):
        # a courier's app may send UTC; the citizen reads China time all the same
        utc = system_clock().astimezone(UTC).isoformat().replace("+00:00", "Z")
        response = await site.report(task["id"], step, location="杭州西湖营业部", at=utc)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == step
    photo = await site.upload(courier)
    response = await site.report(task["id"], "delivered", signedBy="张三", fileId=photo)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "delivered"

    progress = await site.progress(citizen, app_id)
    assert progress["status"] == "completed"
    assert progress["delivery"]["status"] == "delivered"
    assert [e["type"] for e in progress["delivery"]["events"]] == [
        "dispatched",
        "picked_up",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert progress["timeline"][-1]["text"] == "已签收（签收人：张三），办件已办结"
    assert all(e["at"].endswith("+08:00") for e in progress["delivery"]["events"])
    assert all(e["at"].endswith("+08:00") for e in progress["timeline"])
    assert app_id not in [d["applicationId"] for d in await site.deliveries()]


# --- route pushes -----------------------------------------------------------------------------


async def test_a_push_without_the_secret_or_from_elsewhere_is_refused_and_records_nothing(
    site: Site,
) -> None:
    app_id, citizen = await site.issued()
    waybill = await site.dispatched(citizen, app_id)
    before = await site.seen_routes()
    route = site.fake.route(waybill, "50")
    webhook = f"{site.base}/webhooks/courier/sf"

    for url in (webhook, f"{webhook}?token=wrong"):
        reply = await site.push(route, url=url)
        assert reply.status == 401, reply.body
        assert reply.body["code"] == "unauthenticated"
    unknown = await site.push(route, url=f"{site.base}/webhooks/courier/nosuch?token={TOKEN}")
    assert unknown.status == 404
    couriers = site.services.couriers
    assert couriers is not None
    allowed, couriers.push_allow = couriers.push_allow, ()
    try:
        elsewhere = await site.push(route)  # the right token, from an address not allowed
    finally:
        couriers.push_allow = allowed
    assert elsewhere.status == 403

    assert await site.seen_routes() == before
    assert (await site.progress(citizen, app_id))["delivery"]["status"] == "dispatched"


async def test_a_replayed_push_is_answered_as_success_and_recorded_once(site: Site) -> None:
    app_id, citizen = await site.issued()
    waybill = await site.dispatched(citizen, app_id)
    route = site.fake.route(waybill, "50", accept_address="杭州西湖营业部")

    first = await site.push(route)
    assert (first.status, first.body) == (200, {"return_code": "0000", "return_msg": "成功"})
    events = (await site.progress(citizen, app_id))["delivery"]["events"]
    again = await site.push(route)
    assert (again.status, again.body) == (200, {"return_code": "0000", "return_msg": "成功"})

    progress = await site.progress(citizen, app_id)
    assert progress["delivery"]["events"] == events
    assert [e["type"] for e in events] == ["dispatched", "picked_up"]
    assert progress["delivery"]["status"] == "picked_up"


async def test_ten_routes_in_one_push_are_applied_in_order(site: Site) -> None:
    app_id, citizen = await site.issued()
    waybill = await site.dispatched(citizen, app_id)
    codes = ["50", "30", "31", "36", "31", "44", "70", "44", "80", "9999"]
    routes = [
        site.fake.route(waybill, code, accept_address=f"站点{i}") for i, code in enumerate(codes)
    ]

    reply = await site.push(*routes)
    assert reply.status == 200, reply.body

    progress = await site.progress(citizen, app_id)
    assert progress["status"] == "completed"
    assert [e["type"] for e in progress["delivery"]["events"]] == [
        "dispatched",
        "picked_up",
        "in_transit",
        "in_transit",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "failed",
        "out_for_delivery",
        "delivered",
    ]
    texts = [e["text"] for e in progress["timeline"]]
    assert any("快递员将再次派送" in t for t in texts)  # the failed attempt, told to the citizen
    assert texts[-1] == "已签收（签收人：本人），办件已办结"
    outcomes = await site.services.pool.fetch(
        "SELECT outcome, count(*) FROM courier_routes_seen WHERE route_id = ANY($1::text[])"
        " GROUP BY outcome",
        [r["id"] for r in routes],
    )
    assert dict(outcomes) == {"applied": 9, "ignored": 1}  # 9999 means nothing to us


# --- the courier app ---------------------------------------------------------------------------


async def test_couriers_see_and_scan_only_their_companys_deliveries(site: Site) -> None:
    app_id, citizen = await site.issued()
    await site.dispatched(citizen, app_id)
    task = await site.delivery_of(app_id)
    await create_staff(site.services.pool, "courier-ems", DEMO_PASSWORD, "courier", "ems")

    assert await site.deliveries("courier-ems") == []
    other = await site.report(task["id"], "picked_up", username="courier-ems")
    assert other.status_code == 404, other.text
    unknown = await site.report(str(uuid.uuid4()), "picked_up")
    assert unknown.status_code == 404

    clerk = await site.client.get(
        "/api/v1/courier/deliveries", headers=await site.staff("amr-clerk")
    )
    assert clerk.status_code == 403
    mine = await site.client.get("/api/v1/courier/deliveries", headers=citizen)
    assert mine.status_code == 403


async def test_an_impossible_scan_is_409_and_changes_nothing(site: Site) -> None:
    app_id, citizen = await site.issued()
    await site.dispatched(citizen, app_id)
    task = await site.delivery_of(app_id)

    early = await site.report(task["id"], "delivered", signedBy="张三")  # not picked up yet
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "delivery_step_not_allowed"
    assert (await site.report(task["id"], "failed", reason="无人")).status_code == 409
    unsigned = await site.report(task["id"], "delivered")
    assert unsigned.status_code == 409  # still not picked up: the state is checked first
    assert (await site.report(task["id"], "picked_up")).status_code == 200
    assert (await site.report(task["id"], "picked_up")).status_code == 409
    nameless = await site.report(task["id"], "delivered", signedBy=" ")
    assert nameless.status_code == 400
    assert nameless.json()["errors"] == {"signedBy": "必填"}

    assert (await site.delivery_of(app_id))["status"] == "picked_up"
    assert (await site.progress(citizen, app_id))["status"] == "delivering"


async def test_a_courier_cannot_date_a_scan_before_the_dispatch(site: Site) -> None:
    app_id, citizen = await site.issued()
    await site.dispatched(citizen, app_id)
    task = await site.delivery_of(app_id)

    backdated = await site.report(task["id"], "picked_up", at="1970-01-01T08:00:00+08:00")
    assert backdated.status_code == 400, backdated.text
    assert backdated.json()["code"] == "event_before_last_step"
    assert "at" in backdated.json()["errors"]
    assert (await site.delivery_of(app_id))["status"] == "booked"
    assert (await site.report(task["id"], "picked_up")).status_code == 200


# --- failed deliveries ------------------------------------------------------------------------


async def test_two_failed_attempts_make_a_stuck_case_that_a_redispatch_brings_home(
    site: Site,
) -> None:
    app_id, citizen = await site.issued()
    first_waybill = await site.dispatched(citizen, app_id)
    task = await site.delivery_of(app_id)
    for step, fields in (
        ("picked_up", {}),
        ("out_for_delivery", {}),
        ("failed", {"reason": "收件人不在"}),
        ("out_for_delivery", {}),
        ("failed", {"reason": "电话无人接听"}),
    ):
        response = await site.report(task["id"], step, **fields)
        assert response.status_code == 200, response.text
    assert response.json()["status"] == "failed"

    progress = await site.progress(citizen, app_id)
    assert progress["status"] == "delivering"
    assert progress["delivery"]["status"] == "failed"
    assert "工作人员将联系您重新安排" in progress["timeline"][-1]["text"]
    stuck = await site.client.get(
        "/api/v1/admin/stuck-cases?reason=delivery_failed", headers=await site.staff("supervisor")
    )
    case = next(c for c in stuck.json() if c["applicationId"] == app_id)
    assert case["reasons"] == ["delivery_failed"]
    assert app_id not in [d["applicationId"] for d in await site.deliveries()]

    clerk = await site.client.post(
        f"/api/v1/admin/applications/{app_id}/redispatch", headers=await site.staff("amr-clerk")
    )
    assert clerk.status_code == 403
    again = await site.act("supervisor", app_id, "redispatch")
    assert again["deliveryId"] != task["id"]
    second_waybill = await site.dispatched(citizen, app_id, not_waybill=first_waybill)
    assert second_waybill != first_waybill
    twice = await site.client.post(
        f"/api/v1/admin/applications/{app_id}/redispatch", headers=await site.staff("supervisor")
    )
    assert twice.status_code == 409  # on its way again: nothing to re-dispatch

    stuck = await site.client.get(
        "/api/v1/admin/stuck-cases?reason=delivery_failed", headers=await site.staff("supervisor")
    )
    assert app_id not in [c["applicationId"] for c in stuck.json()]
    reply = await site.push(
        site.fake.route(second_waybill, "50"), site.fake.route(second_waybill, "80")
    )
    assert reply.status == 200
    old = await site.push(site.fake.route(first_waybill, "80"))  # the old parcel: closed
    assert old.status == 200

    progress = await site.progress(citizen, app_id)
    assert progress["status"] == "completed"
    assert progress["delivery"]["waybillNo"] == second_waybill


async def test_a_supervisor_switches_a_failing_delivery_to_pickup_at_the_window(
    site: Site,
) -> None:
    app_id, citizen = await site.issued()
    await site.dispatched(citizen, app_id)
    task = await site.delivery_of(app_id)
    for step in ("picked_up", "out_for_delivery"):
        assert (await site.report(task["id"], step)).status_code == 200
    failed = await site.report(task["id"], "failed", reason="地址无法投递")
    assert failed.status_code == 200

    reason = {"reason": "申请人要求改为窗口自取"}
    refused = await site.client.post(
        f"/api/v1/admin/applications/{app_id}/switch-to-pickup",
        json=reason,
        headers=await site.staff("amr-clerk"),
    )
    assert refused.status_code == 403
    switched = await site.act("supervisor", app_id, "switch-to-pickup", reason)
    assert switched["status"] == "ready_for_pickup"

    progress = await site.progress(citizen, app_id)
    assert progress["status"] == "ready_for_pickup"
    assert progress["delivery"]["method"] == "pickup"
    assert app_id not in [d["applicationId"] for d in await site.deliveries()]
    late = await site.report(task["id"], "out_for_delivery")
    assert late.status_code == 409  # the courier order was cancelled with the switch
    await site.act("amr-clerk", app_id, "hand-over")
    assert (await site.progress(citizen, app_id))["status"] == "completed"


# --- booking outside the request --------------------------------------------------------------


async def test_booking_is_retried_when_sf_is_down_and_never_makes_two_parcels(
    site: Site,
) -> None:
    site.fake.set_down(True)
    try:
        app_id, citizen = await site.issued()

        async def failed_once() -> Any:
            return await site.services.pool.fetchrow(
                "SELECT order_id, status, last_error FROM courier_orders"
                " WHERE application_id = $1 AND last_error IS NOT NULL",
                uuid.UUID(app_id),
            )

        row = await _eventually(failed_once, "a failed booking attempt")
        assert row["status"] == "pending"
        assert "503" in row["last_error"]
        assert (await site.progress(citizen, app_id))["status"] == "result_issued"
    finally:
        site.fake.set_down(False)

    # SF took the order but our record of it was lost (a crash after SF answered): the next
    # attempt asks for the same order id and gets the same waybill, not a second parcel
    couriers = site.services.couriers
    assert couriers is not None
    application = await site.services.repository.get(Application, uuid.UUID(app_id))
    booked = await couriers.companies["sf"].book(courier_order(application, row["order_id"], "1"))
    await site.services.pool.execute(
        "UPDATE courier_orders SET next_attempt_at = now() WHERE application_id = $1",
        uuid.UUID(app_id),
    )
    await BookingDispatcher(site.services).drain()

    assert await site.dispatched(citizen, app_id) == booked.waybill_no
    assert [o.order_id for o in site.fake.orders()].count(row["order_id"]) == 1


async def test_malformed_reports_and_pushes_are_400_and_record_nothing(site: Site) -> None:
    app_id, citizen = await site.issued()
    await site.dispatched(citizen, app_id)
    task = await site.delivery_of(app_id)
    url = f"/api/v1/courier/deliveries/{task['id']}/events"
    courier = await site.staff("courier-sf")
    someone_elses_photo = await site.upload(citizen)
    dispatched = datetime.fromisoformat(task["updatedAt"])
    before_dispatch = (dispatched - timedelta(hours=1)).isoformat()
    for body, code in (
        ({"type": "picked_up", "at": "2026-04-15T10:00:00"}, "time_without_offset"),
        ({"type": "picked_up", "at": "2999-01-01T10:00:00+08:00"}, "event_in_future"),
        ({"type": "picked_up", "at": before_dispatch}, "event_before_last_step"),
        ({"type": "teleported", "at": _now_iso()}, "validation_failed"),
        ({"type": "picked_up", "at": _now_iso(), "colour": "red"}, "validation_failed"),
        ({"type": "picked_up", "at": _now_iso(), "location": "x" * 201}, "validation_failed"),
        (
            {"type": "picked_up", "at": _now_iso(), "fileId": someone_elses_photo},
            "validation_failed",
        ),
    ):
        response = await site.client.post(url, json=body, headers=courier)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["code"] == code, (body, response.text)
        assert "at" in response.json()["errors"] or code == "validation_failed"

    webhook = f"{site.base}/webhooks/courier/sf?token={TOKEN}"
    for raw in (b"not json", b"[" * 20000, b'{"Body": {"WaybillRoute": [{"id": "1"}]}}'):
        response = await site.client.post(webhook, content=raw)
        assert response.status_code == 400, response.text

    assert (await site.delivery_of(app_id))["status"] == "booked"
