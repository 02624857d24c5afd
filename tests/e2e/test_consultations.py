"""Consultations (咨询) over HTTP: ask, reply with the legal basis, forward, follow up, close and
rate; the two- and three-working-day reply clock and the stuck list; who may read what; the
self-service answers; erasure. The app runs on its own database with a clock the tests set."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.db.url import with_database
from backend.read_side import wait_for_position
from backend.settings import Settings
from tests.conftest import TEMPLATE
from tests.e2e.test_back_office import AMR, HEALTH, FakeClock, Headers, Office

FOOD = "XK-00101-000"  # 市市场监督管理局


class Desk(Office):
    """The office, waiting for the consultation read models as well."""

    def settle(self) -> None:
        async def wait() -> None:
            async with self.services.pool.acquire() as conn:
                top = await self.services.recorder.max_notification_id(conn)
            for name in ("progress", "consultations", "answers"):
                await wait_for_position(self.services, top, name)

        self.run(wait)

    async def ask(self, citizen: Headers, question: str = "开小吃店要办什么证？") -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/consultations",
            json={"serviceCode": FOOD, "question": question},
            headers=citizen,
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def thread(self, citizen: Headers, cid: str) -> dict[str, Any]:
        self.settle()
        response = await self.client.get(f"/api/v1/consultations/{cid}", headers=citizen)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def staff_post(self, username: str, cid: str, action: str, body: dict[str, Any]) -> Any:
        return await self.client.post(
            f"/api/v1/admin/consultations/{cid}/{action}",
            json=body,
            headers=await self.staff(username),
        )

    async def queue(self, username: str, queue: str) -> list[str]:
        self.settle()
        response = await self.client.get(
            f"/api/v1/admin/consultations?queue={queue}", headers=await self.staff(username)
        )
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]

    async def stuck_consultation(self, cid: str) -> Any:
        self.settle()
        response = await self.client.get(
            "/api/v1/admin/stuck-cases", headers=await self.staff("supervisor")
        )
        assert response.status_code == 200, response.text
        return next((c for c in response.json() if c.get("consultationId") == cid), None)


@pytest.fixture(scope="module")
async def desk(
    server_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Desk]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await admin.close()
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("consultations")),
        database_url=with_database(server_url, name),
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        watch_interval_seconds=3600,  # the tests drive the watcher themselves
    )
    clock = FakeClock()
    async with AsyncTestClient(app=create_app(settings, demo=True, clock=clock)) as client:
        yield Desk(client, clock)
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_a_reply_with_its_legal_basis_a_follow_up_and_a_rating(desk: Desk) -> None:
    citizen = await desk.citizen()
    desk.clock.set("2026-03-02", 10)  # a Monday: due Wednesday
    asked = await desk.ask(citizen)
    assert asked["status"] == "open"
    assert asked["replyDueAt"].startswith("2026-03-04")
    cid = asked["id"]
    assert cid in await desk.queue("amr-clerk", "open")

    desk.clock.set("2026-03-03", 9)
    basis = {"name": "《中华人民共和国食品安全法》", "number": "第三十五条"}
    reply = await desk.staff_post(
        "amr-clerk", cid, "reply", {"text": "需要办理食品经营许可证。", "legalBasis": basis}
    )
    assert reply.status_code == 200, reply.text
    thread = await desk.thread(citizen, cid)
    assert thread["status"] == "answered"
    staff_message = thread["messages"][-1]
    assert staff_message["from"] == "staff"
    assert staff_message["department"] == AMR
    assert staff_message["legalBasis"] == basis
    assert cid not in await desk.queue("amr-clerk", "open")

    # a follow-up opens a new reply period
    follow = await desk.client.post(
        f"/api/v1/consultations/{cid}/messages",
        json={"text": "只卖包装好的饮料呢？"},
        headers=citizen,
    )
    assert follow.status_code == 200, follow.text
    thread = await desk.thread(citizen, cid)
    assert thread["status"] == "open"
    assert [m["from"] for m in thread["messages"]] == ["citizen", "staff", "citizen"]

    closed = await desk.client.post(
        f"/api/v1/consultations/{cid}/close", json={"rating": 5}, headers=citizen
    )
    assert closed.status_code == 200, closed.text
    thread = await desk.thread(citizen, cid)
    assert thread["status"] == "closed"
    assert thread["rating"] == 5


async def test_another_citizen_and_another_department_cannot_read_the_thread(desk: Desk) -> None:
    citizen, other = await desk.citizen(), await desk.citizen()
    desk.clock.set("2026-03-02", 10)
    cid = (await desk.ask(citizen))["id"]
    desk.settle()
    assert (await desk.client.get(f"/api/v1/consultations/{cid}", headers=other)).status_code in (
        403,
        404,
    )
    health = await desk.client.get(
        f"/api/v1/admin/consultations/{cid}", headers=await desk.staff("health-clerk")
    )
    assert health.status_code in (403, 404)
    refused = await desk.staff_post("health-clerk", cid, "reply", {"text": "不归我们管。"})
    assert refused.status_code in (403, 404)
    assert cid not in await desk.queue("health-clerk", "open")


async def test_a_forward_gives_three_working_days_and_moves_the_question(desk: Desk) -> None:
    citizen = await desk.citizen()
    desk.clock.set("2026-03-02", 10)  # Monday
    cid = (await desk.ask(citizen, "餐馆的卫生许可找谁办？"))["id"]
    desk.clock.set("2026-03-02", 15)
    forwarded = await desk.staff_post(
        "amr-clerk",
        cid,
        "forward",
        {"department": HEALTH, "reason": "公共场所卫生许可由卫健委办理"},
    )
    assert forwarded.status_code == 200, forwarded.text
    thread = await desk.thread(citizen, cid)
    assert thread["department"] == HEALTH
    assert thread["replyDueOn"] == "2026-03-05"  # three working days from the question
    assert cid in await desk.queue("health-clerk", "open")
    assert cid not in await desk.queue("amr-clerk", "open")
    # the first department no longer answers it
    refused = await desk.staff_post("amr-clerk", cid, "reply", {"text": "好的"})
    assert refused.status_code in (403, 404, 409)
    answered = await desk.staff_post("health-clerk", cid, "reply", {"text": "请向卫健委申请。"})
    assert answered.status_code == 200, answered.text


async def test_a_late_reply_is_due_soon_then_a_stuck_case(desk: Desk) -> None:
    citizen = await desk.citizen()
    desk.clock.set("2026-03-09", 10)  # Monday: due Wednesday
    cid = (await desk.ask(citizen, "食品经营许可证有效期多久？"))["id"]
    desk.clock.set("2026-03-10", 10)
    desk.watch()
    assert cid in await desk.queue("amr-clerk", "due_soon")
    assert await desk.stuck_consultation(cid) is None

    desk.clock.set("2026-03-12", 10)  # past Wednesday
    desk.watch()
    assert cid in await desk.queue("amr-clerk", "overdue")
    case = await desk.stuck_consultation(cid)
    assert case is not None
    assert case["kind"] == "consultation"
    assert case["reasons"] == ["consultation_overdue"]
    assert case["applicationId"] is None

    late = await desk.staff_post("amr-clerk", cid, "reply", {"text": "有效期5年。"})
    assert late.status_code == 200, late.text
    assert await desk.stuck_consultation(cid) is None


async def test_the_answers_search_finds_the_faq_in_chinese(desk: Desk) -> None:
    desk.settle()
    response = await desk.client.get("/api/v1/answers", params={"q": "食品经营许可证多久能办好"})
    assert response.status_code == 200, response.text
    found = response.json()
    assert found, "no answer found"
    assert found[0]["serviceCode"] == FOOD
    assert "工作日" in found[0]["answer"]
    assert 0 < found[0]["score"] <= 1
    only = await desk.client.get("/api/v1/answers", params={"q": "身份证", "serviceCode": FOOD})
    assert all(a["serviceCode"] == FOOD for a in only.json())


async def test_forgetting_the_citizen_erases_the_question(desk: Desk) -> None:
    citizen = await desk.citizen()
    desk.clock.set("2026-03-02", 10)
    secret = "我的身份证号是330106199001011234，怎么办证？"
    cid = (await desk.ask(citizen, secret))["id"]
    desk.settle()
    pool = desk.services.pool
    owner = desk.run(
        lambda: pool.fetchval(
            "SELECT citizen_id FROM consultation_view WHERE id = $1", uuid.UUID(cid)
        )
    )
    erased = await desk.client.delete(
        f"/api/v1/admin/citizens/{owner}/personal-data", headers=await desk.staff("admin")
    )
    assert erased.status_code == 200, erased.text
    row = desk.run(
        lambda: pool.fetchrow(
            "SELECT question, messages::text AS messages FROM consultation_view WHERE id = $1",
            uuid.UUID(cid),
        )
    )
    assert "330106199001011234" not in row["question"]
    assert "330106199001011234" not in row["messages"]
