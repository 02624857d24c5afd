"""Pre-review (预审) over HTTP: a draft answered with the complete list of what is missing,
revised, found ready, submitted and accepted with the mark; the one-working-day answer clock
and the stuck list; who may read and answer; the refusals of a submission that refers to a
pre-review it may not use; statistics; erasure. The app runs on its own database with a clock
the tests set."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.db.url import with_database
from backend.read_side import wait_for_position
from backend.settings import Settings
from tests.conftest import TEMPLATE
from tests.e2e.test_back_office import FakeClock, Headers, Office

FOOD = "XK-00101-000"  # 市市场监督管理局 leads
BIRTH = "GG-00901-000"  # 生育登记, 市卫生健康委员会
FIRST_ROUND = ["application-form", "business-licence", "id-card"]
EVERY_REQUIRED = [
    *FIRST_ROUND,
    "floor-plan",
    "food-safety-rules",
    "health-certificates",
]


class Desk(Office):
    """The office, waiting for the pre-review read model as well."""

    def settle(self) -> None:
        async def wait() -> None:
            async with self.services.pool.acquire() as conn:
                top = await self.services.recorder.max_notification_id(conn)
            for name in ("progress", "pre_reviews"):
                await wait_for_position(self.services, top, name)

        self.run(wait)

    async def draft(
        self, citizen: Headers, ids: list[str], code: str = FOOD, situation: str = "new"
    ) -> dict[str, Any]:
        return {
            "serviceCode": code,
            "situationId": situation,
            "form": {"shopName": "张记小吃", "phone": "13800138000"},
            "materials": await self.materials(citizen, code, situation, ids),
            "delivery": {"method": "pickup"},
        }

    async def send(self, citizen: Headers, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post("/api/v1/pre-reviews", json=body, headers=citizen)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def read(self, citizen: Headers, pid: str) -> dict[str, Any]:
        self.settle()
        response = await self.client.get(f"/api/v1/pre-reviews/{pid}", headers=citizen)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def answer(self, username: str, pid: str, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/admin/pre-reviews/{pid}/answer", json=body, headers=await self.staff(username)
        )

    async def queue(self, username: str, queue: str) -> list[str]:
        self.settle()
        response = await self.client.get(
            f"/api/v1/admin/pre-reviews?queue={queue}", headers=await self.staff(username)
        )
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]

    async def stuck_pre_review(self, pid: str) -> Any:
        self.settle()
        response = await self.client.get(
            "/api/v1/admin/stuck-cases", headers=await self.staff("supervisor")
        )
        assert response.status_code == 200, response.text
        return next((c for c in response.json() if c.get("preReviewId") == pid), None)

    async def ready_pre_review(self, citizen: Headers) -> tuple[str, dict[str, Any]]:
        """A pre-review answered ready, and its draft."""
        body = await self.draft(citizen, EVERY_REQUIRED)
        pid = (await self.send(citizen, body))["id"]
        ready = await self.answer("amr-clerk", pid, {"ready": True})
        assert ready.status_code == 200, ready.text
        return pid, body

    async def submit_body(self, citizen: Headers, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post("/api/v1/applications", json=body, headers=citizen)


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
        data_dir=Path(tmp_path_factory.mktemp("pre_reviews")),
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


async def test_a_draft_is_corrected_once_found_ready_submitted_marked_and_accepted(
    desk: Desk,
) -> None:
    citizen = await desk.citizen()
    desk.clock.set("2026-03-02", 10)  # a Monday: the answer is due Tuesday
    first = await desk.draft(citizen, FIRST_ROUND)
    created = await desk.send(citizen, first)
    assert created["status"] == "pending"
    assert created["dueAt"].startswith("2026-03-03")
    pid = created["id"]
    assert pid in await desk.queue("amr-clerk", "pending")

    # 一次性告知: every missing material at once, with the note
    told = await desk.answer(
        "amr-clerk",
        pid,
        {
            "ready": False,
            "missing": ["floor-plan", "food-safety-rules"],
            "note": "平面图需标明操作流程",
        },
    )
    assert told.status_code == 200, told.text
    again = await desk.answer("amr-clerk", pid, {"ready": False, "missing": ["id-card"]})
    assert again.status_code == 409
    assert again.json()["code"] == "pre_review_answered"
    seen = await desk.read(citizen, pid)
    assert seen["status"] == "needs_changes"
    assert seen["round"] == 1
    assert seen["findings"]["missing"] == ["floor-plan", "food-safety-rules"]
    assert seen["findings"]["note"] == "平面图需标明操作流程"
    assert pid not in await desk.queue("amr-clerk", "pending")

    # the corrected draft: round two, its own deadline
    desk.clock.set("2026-03-03", 9)
    second = await desk.draft(citizen, EVERY_REQUIRED)
    revised = await desk.client.post(
        f"/api/v1/pre-reviews/{pid}/revise", json=second, headers=citizen
    )
    assert revised.status_code == 200, revised.text
    seen = await desk.read(citizen, pid)
    assert seen["status"] == "pending"
    assert seen["round"] == 2
    assert seen["dueOn"] == "2026-03-04"
    ready = await desk.answer("amr-clerk", pid, {"ready": True, "note": "材料齐全，可正式提交"})
    assert ready.status_code == 200, ready.text
    seen = await desk.read(citizen, pid)
    assert seen["status"] == "ready"
    assert [r["round"] for r in seen["rounds"]] == [1, 2]

    # the formal submission: the same body, marked, accepted with one click
    desk.clock.set("2026-03-03", 14)
    submitted = await desk.submit_body(citizen, {**second, "preReviewId": pid})
    assert submitted.status_code == 201, submitted.text
    app_id = submitted.json()["id"]
    progress = await desk.progress(citizen, app_id)
    assert progress["preReview"] == {
        "id": pid,
        "number": created["number"],
        "round": 2,
        "unchanged": True,
    }
    assert "来自预审" in progress["timeline"][0]["text"]
    assert (await desk.read(citizen, pid))["applicationId"] == app_id
    history = await desk.history(app_id)
    assert history[0]["type"] == "Submitted"
    # the clerk's history shows the mark: round two, the ready draft unchanged (one click)
    assert history[0]["data"]["pre_review"] == progress["preReview"]
    accepted = await desk.act("amr-clerk", app_id, "accept")
    assert accepted["status"] == "accepted"


async def test_a_changed_body_is_still_marked_but_not_as_unchanged(desk: Desk) -> None:
    citizen = await desk.citizen()
    desk.clock.set("2026-03-02", 10)
    pid, body = await desk.ready_pre_review(citizen)
    changed = {**body, "form": {"shopName": "张记小吃（总店）"}, "preReviewId": pid}
    submitted = await desk.submit_body(citizen, changed)
    assert submitted.status_code == 201, submitted.text
    progress = await desk.progress(citizen, submitted.json()["id"])
    assert progress["preReview"]["unchanged"] is False


async def test_a_late_answer_makes_a_stuck_case_until_it_is_given(desk: Desk) -> None:
    citizen = await desk.citizen()
    desk.clock.set("2026-03-09", 10)  # Monday: due Tuesday
    pid = (await desk.send(citizen, await desk.draft(citizen, FIRST_ROUND)))["id"]
    desk.clock.set("2026-03-10", 10)
    assert pid in await desk.queue("amr-clerk", "due_soon")
    assert await desk.stuck_pre_review(pid) is None

    desk.clock.set("2026-03-11", 10)  # Wednesday: late
    assert pid in await desk.queue("amr-clerk", "overdue")
    case = await desk.stuck_pre_review(pid)
    assert case is not None
    assert case["kind"] == "pre_review"
    assert case["reasons"] == ["pre_review_overdue"]
    assert case["applicationId"] is None
    assert "逾期1个工作日" in case["explanations"][0]

    late = await desk.answer("amr-clerk", pid, {"ready": False, "missing": ["floor-plan"]})
    assert late.status_code == 200, late.text
    assert await desk.stuck_pre_review(pid) is None
    seen = await desk.read(citizen, pid)
    assert seen["rounds"][0]["onTime"] is False


async def test_a_citizen_reads_only_their_own_and_a_department_only_what_it_leads(
    desk: Desk,
) -> None:
    citizen, other = await desk.citizen(), await desk.citizen()
    desk.clock.set("2026-03-02", 10)
    pid = (await desk.send(citizen, await desk.draft(citizen, FIRST_ROUND)))["id"]
    desk.settle()
    theirs = await desk.client.get(f"/api/v1/pre-reviews/{pid}", headers=other)
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "pre_review_not_found"
    listed = await desk.client.get("/api/v1/pre-reviews", headers=other)
    assert pid not in [p["id"] for p in listed.json()]
    mine = await desk.client.get("/api/v1/pre-reviews", headers=citizen)
    assert [p["id"] for p in mine.json()] == [pid]
    revise = await desk.client.post(
        f"/api/v1/pre-reviews/{pid}/revise",
        json=await desk.draft(other, FIRST_ROUND),
        headers=other,
    )
    assert revise.status_code == 404
    health = await desk.client.get(
        f"/api/v1/admin/pre-reviews/{pid}", headers=await desk.staff("health-clerk")
    )
    assert health.status_code == 404
    assert (await desk.answer("health-clerk", pid, {"ready": True})).status_code == 404
    assert pid not in await desk.queue("health-clerk", "pending")
    # a reviewer of the lead department sees it, but the window clerk answers
    assert (await desk.answer("amr-reviewer", pid, {"ready": True})).status_code == 403
    staff_view = await desk.client.get(
        f"/api/v1/admin/pre-reviews/{pid}", headers=await desk.staff("amr-clerk")
    )
    assert staff_view.status_code == 200, staff_view.text
    checklist = {m["materialId"]: m["given"] for m in staff_view.json()["checklist"]}
    assert checklist["floor-plan"] is False
    assert checklist["id-card"] is True


async def test_a_submission_may_refer_only_to_its_own_ready_pre_review_of_that_item_once(
    desk: Desk,
) -> None:
    citizen, other = await desk.citizen(), await desk.citizen()
    desk.clock.set("2026-03-02", 10)
    body = await desk.draft(citizen, EVERY_REQUIRED)
    pending = (await desk.send(citizen, body))["id"]

    not_ready = await desk.submit_body(citizen, {**body, "preReviewId": pending})
    assert not_ready.status_code == 409
    assert not_ready.json()["code"] == "pre_review_not_ready"

    ready, ready_body = await desk.ready_pre_review(citizen)
    not_mine = await desk.submit_body(
        other, {**await desk.draft(other, EVERY_REQUIRED), "preReviewId": ready}
    )
    assert not_mine.status_code == 404
    assert not_mine.json()["code"] == "pre_review_not_found"
    unknown = await desk.submit_body(citizen, {**ready_body, "preReviewId": str(uuid.uuid4())})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "pre_review_not_found"

    birth = await desk.draft(citizen, [], code=BIRTH, situation="registration")
    birth["materials"] = await desk.materials(citizen, BIRTH, "registration")
    other_item = await desk.submit_body(citizen, {**birth, "preReviewId": ready})
    assert other_item.status_code == 400
    assert other_item.json()["code"] == "pre_review_other_service"

    used = await desk.submit_body(citizen, {**ready_body, "preReviewId": ready})
    assert used.status_code == 201, used.text
    twice = await desk.submit_body(citizen, {**ready_body, "preReviewId": ready})
    assert twice.status_code == 409
    assert twice.json()["code"] == "pre_review_used"
    revised = await desk.client.post(
        f"/api/v1/pre-reviews/{ready}/revise", json=ready_body, headers=citizen
    )
    assert revised.status_code == 409
    assert revised.json()["code"] == "pre_review_used"


async def test_statistics_count_pre_reviewed_submissions_and_their_supplement_rate(
    desk: Desk,
) -> None:
    citizen = await desk.citizen()
    desk.clock.set("2026-04-01", 10)
    pid, body = await desk.ready_pre_review(citizen)
    with_pre_review = await desk.submit_body(citizen, {**body, "preReviewId": pid})
    assert with_pre_review.status_code == 201, with_pre_review.text
    plain = await desk.submit(citizen)
    desk.settle()
    await desk.act(
        "amr-clerk", plain, "request-supplement", {"missing": ["floor-plan"], "note": "不清晰"}
    )
    desk.settle()
    response = await desk.client.get(
        "/api/v1/admin/pre-reviews/stats?start=2026-04-01&end=2026-04-01",
        headers=await desk.staff("amr-clerk"),
    )
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["submissions"] == 2
    assert stats["preReviewed"] == 1
    assert stats["preReviewedShare"] == 0.5
    assert stats["supplementRateWithPreReview"] == 0.0
    assert stats["supplementRateWithoutPreReview"] == 1.0
    assert stats["preReviews"] == 1


async def test_forgetting_the_citizen_erases_the_clerks_note_on_their_draft(desk: Desk) -> None:
    citizen = await desk.citizen()
    desk.clock.set("2026-03-02", 10)
    pid = (await desk.send(citizen, await desk.draft(citizen, FIRST_ROUND)))["id"]
    secret = "申请人张三丰的身份证号330106199001011234与营业执照不一致"
    told = await desk.answer("amr-clerk", pid, {"ready": False, "note": secret})
    assert told.status_code == 200, told.text
    desk.settle()
    pool = desk.services.pool
    owner = desk.run(
        lambda: pool.fetchval(
            "SELECT citizen_id FROM pre_review_view WHERE id = $1", uuid.UUID(pid)
        )
    )
    erased = await desk.client.delete(
        f"/api/v1/admin/citizens/{owner}/personal-data", headers=await desk.staff("admin")
    )
    assert erased.status_code == 200, erased.text
    row = desk.run(
        lambda: pool.fetchrow(
            "SELECT findings::text AS findings, rounds::text AS rounds FROM pre_review_view"
            " WHERE id = $1",
            uuid.UUID(pid),
        )
    )
    assert "330106199001011234" not in row["findings"]
    assert "330106199001011234" not in row["rounds"]
