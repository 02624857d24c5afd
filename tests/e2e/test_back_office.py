"""The back office over HTTP: supplements, deferred materials, the working-day clock and its
watcher, stuck cases in words, department scoping, evaluation and rectification, statistics, the
holiday calendar and the history.

One app for the module (starting one costs seconds: argon2 hashes of the demo staff) with a
clock the tests set; every test makes its own applications and looks only at them. Tokens are
issued at the real time (their expiry is checked against it), then the clock is moved.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.clock import system_clock
from backend.db.url import with_database
from backend.jobs import watch
from backend.read_side import wait_for_position
from backend.services import Services
from backend.settings import Settings
from domain.calendar import CST
from tests.conftest import TEMPLATE
from tests.e2e.conftest import DEMO_PASSWORD, upload

FOOD = "XK-00101-000"  # AMR -> (health || fire) -> AMR; promised 5 working days; free
ID_CARD = "GG-00201-000"  # police, one stage; fee 2000 fen
CLINIC = "QT-00801-000"  # health, one stage; promised 1 working day
BUILDING = "XK-00401-000"  # housing, one stage; promised 3; pickup or courier
AMR, HEALTH, FIRE = "市市场监督管理局", "市卫生健康委员会", "市消防救援支队"
HOUSING = "市住房和城乡建设局"

Headers = dict[str, str]
T = TypeVar("T")


class FakeClock:
    """The system clock until a test sets a moment (China time)."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def __call__(self) -> datetime:
        return self.now or system_clock()

    def set(self, day: str, hour: int = 10, minute: int = 0) -> datetime:
        self.now = datetime.combine(date.fromisoformat(day), time(hour, minute), CST)
        return self.now


class Office:
    """The app under test, its clock, and the calls the tests make again and again."""

    def __init__(self, client: AsyncTestClient[Any], clock: FakeClock) -> None:
        self.client = client
        self.clock = clock
        self._staff: dict[str, Headers] = {}
        self._citizens = 0

    @property
    def services(self) -> Services:
        services: Services = self.client.app.state.services
        return services

    def run(self, job: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine on the app's own event loop (its pool lives there)."""
        return self.client.blocking_portal.call(job)

    def settle(self) -> None:
        """Wait until the read models have applied every event written so far."""

        async def wait() -> None:
            async with self.services.pool.acquire() as conn:
                top = await self.services.recorder.max_notification_id(conn)
            for name in ("progress", "rectifications"):
                await wait_for_position(self.services, top, name)

        self.run(wait)

    def watch(self) -> None:
        """One pass of the deadline watcher, as the worker runs it, once the read models have
        every write so far (it finds the cases to warn in ``application_view``)."""
        self.settle()
        self.run(lambda: watch(self.services))
        self.settle()

    async def _at_real_time(self, login: Callable[[], Awaitable[httpx.Response]]) -> Headers:
        saved, self.clock.now = self.clock.now, None
        try:
            response = await login()
        finally:
            self.clock.now = saved
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    async def staff(self, username: str) -> Headers:
        if username not in self._staff:
            self._staff[username] = await self._at_real_time(
                lambda: self.client.post(
                    "/api/v1/auth/staff-login",
                    json={"username": username, "password": DEMO_PASSWORD},
                )
            )
        return self._staff[username]

    async def citizen(self) -> Headers:
        self._citizens += 1
        code = f"sandbox-bo-{uuid.uuid4().hex[:8]}"
        return await self._at_real_time(
            lambda: self.client.post("/api/v1/auth/wechat-login", json={"code": code})
        )

    async def materials(
        self, citizen: Headers, code: str, situation: str, ids: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Refs for ``ids`` (default: the required materials that may not be deferred)."""
        guide = (await self.client.get(f"/api/v1/services/{code}")).json()
        listed = next(s for s in guide["situations"] if s["id"] == situation)["materials"]
        if ids is None:
            ids = [m["id"] for m in listed if m["required"] and not m["deferrable"]]
        # uploads for every one: an e-certificate must be one the citizen holds
        return [
            {"materialId": m["id"], "fileId": await upload(self.client, citizen)}
            for m in listed
            if m["id"] in ids
        ]

    async def submit(
        self,
        citizen: Headers,
        code: str = FOOD,
        situation: str = "new",
        *,
        deferrables: bool = True,
        courier: bool = False,
    ) -> str:
        listed = None
        if deferrables:
            guide = (await self.client.get(f"/api/v1/services/{code}")).json()
            materials = next(s for s in guide["situations"] if s["id"] == situation)["materials"]
            listed = [m["id"] for m in materials if m["required"]]
        delivery: dict[str, Any] = {"method": "pickup"}
        if courier:
            delivery = {
                "method": "courier",
                "address": {
                    "name": "张三",
                    "phone": "13800138000",
                    "province": "浙江省",
                    "city": "杭州市",
                    "district": "西湖区",
                    "detail": "文三路100号",
                },
            }
        body = {
            "serviceCode": code,
            "situationId": situation,
            "form": {},
            "materials": await self.materials(citizen, code, situation, listed),
            "delivery": delivery,
        }
        response = await self.client.post("/api/v1/applications", json=body, headers=citizen)
        assert response.status_code == 201, response.text
        app_id: str = response.json()["id"]
        return app_id

    async def act(
        self, username: str, app_id: str, action: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """An operator's command that must succeed."""
        response = await self.post_as(username, app_id, action, body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def post_as(
        self, username: str, app_id: str, action: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/admin/applications/{app_id}/{action}",
            json=body,
            headers=await self.staff(username),
        )

    async def supply(
        self, citizen: Headers, app_id: str, ids: list[str], situation: str = "new"
    ) -> dict[str, Any]:
        """The citizen hands in ``ids`` (a supplement or deferred materials)."""
        code = (await self.progress(citizen, app_id))["serviceCode"]
        response = await self.client.post(
            f"/api/v1/applications/{app_id}/supplements",
            json={"materials": await self.materials(citizen, code, situation, ids)},
            headers=citizen,
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def approve_all(self, app_id: str, reviewers: dict[str, str]) -> None:
        """Every department whose turn it is approves, stage by stage."""
        supervisor = await self.staff("supervisor")
        while True:
            self.settle()
            response = await self.client.get(
                "/api/v1/admin/worklist?queue=review&limit=200", headers=supervisor
            )
            item = next((i for i in response.json() if i["id"] == app_id), None)
            if item is None:
                return
            for department in item["departments"]:
                body = {"decision": "approve", "opinion": "符合要求"}
                await self.act(reviewers[department], app_id, "review", body)

    async def progress(self, citizen: Headers, app_id: str) -> dict[str, Any]:
        self.settle()
        response = await self.client.get(f"/api/v1/applications/{app_id}", headers=citizen)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def history(self, app_id: str, headers: Headers | None = None) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/api/v1/admin/applications/{app_id}/history",
            headers=headers or await self.staff("supervisor"),
        )
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()
        return entries

    async def stuck(self, app_id: str, query: str = "", username: str = "supervisor") -> Any:
        """This application's stuck-case entry, or None when it is not stuck."""
        self.settle()
        response = await self.client.get(
            f"/api/v1/admin/stuck-cases{query}", headers=await self.staff(username)
        )
        assert response.status_code == 200, response.text
        return next((c for c in response.json() if c["applicationId"] == app_id), None)


@pytest.fixture(scope="module")
async def office(
    server_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Office]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await admin.close()
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("back-office")),
        database_url=with_database(server_url, name),
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        watch_interval_seconds=3600,  # the tests drive the watcher themselves
    )
    clock = FakeClock()
    async with AsyncTestClient(app=create_app(settings, demo=True, clock=clock)) as client:
        yield Office(client, clock)
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def types(history: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in history]


def warnings(history: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["level"] for e in history if e["type"] == "DeadlineWarning"]


# --- stuck cases, one reason at a time ---------------------------------------------------------


async def test_due_soon_before_national_day_then_overdue_after_it_with_one_card_each(
    office: Office,
) -> None:
    citizen = await office.citizen()
    office.clock.set("2026-09-30", 9)
    app = await office.submit(citizen, CLINIC)
    office.clock.set("2026-09-30", 10)
    await office.act("health-clerk", app, "accept")

    # one working day (10-08) is left, though eight calendar days are
    case = await office.stuck(app)
    assert case is not None
    assert case["reasons"] == ["due_soon"]
    assert case["explanations"] == ["距承诺办结日期2026-10-08仅剩1个工作日"]
    assert case["deadline"] == "2026-10-08"
    assert case["legalDeadline"] == "2026-10-13"  # 5 working days, beside the promised one
    assert await office.stuck(app, "?reason=due_soon") is not None
    assert await office.stuck(app, "?reason=overdue") is None
    office.watch()
    office.watch()
    assert warnings(await office.history(app)) == ["yellow"]

    office.clock.set("2026-10-05", 10)  # still the holiday: not late
    assert (await office.stuck(app))["reasons"] == ["due_soon"]

    office.clock.set("2026-10-09", 10)
    case = await office.stuck(app)
    assert case["reasons"] == ["overdue"]
    assert case["explanations"] == ["已超过承诺办结日期2026-10-08，逾期1个工作日"]
    office.watch()
    office.watch()
    history = await office.history(app)
    assert warnings(history) == ["yellow", "red"]
    cards = [e for e in history if e["type"] == "DeadlineWarning"]
    assert {c["actor"]["role"] for c in cards} == {"system"}
    assert [c["data"]["deadline"] for c in cards] == ["2026-10-08", "2026-10-08"]


async def test_a_case_nobody_touches_for_three_working_days_is_department_idle(
    office: Office,
) -> None:
    citizen = await office.citizen()
    office.clock.set("2026-03-06", 10)  # a Friday
    app = await office.submit(citizen)

    office.clock.set("2026-03-10", 16)
    assert await office.stuck(app) is None  # two working days
    office.clock.set("2026-03-11", 9)
    case = await office.stuck(app)
    assert case["reasons"] == ["department_idle"]
    assert case["explanations"] == ["市市场监督管理局已3个工作日未处理"]
    assert case["pendingDepartments"] == [AMR]
    # the department's own staff see it, another department's do not
    assert await office.stuck(app, username="amr-clerk") is not None
    assert await office.stuck(app, username="police-clerk") is None
    assert await office.stuck(app, "?department=" + AMR) is not None
    assert await office.stuck(app, "?serviceCode=" + ID_CARD) is None
    assert await office.stuck(app, "?service_code=" + ID_CARD) is None  # the old name still works

    # 督办 presses the department but does not make it any less idle
    await office.act("supervisor", app, "escalate", {"note": "请今日内受理"})
    await office.act("supervisor", app, "notes", {"text": "已电话提醒窗口"})
    case = await office.stuck(app, "?reason=department_idle")
    assert case is not None
    assert case["escalations"] == 1

    await office.act("amr-clerk", app, "accept")
    assert await office.stuck(app) is None


async def test_a_supplement_round_trip_restarts_the_clock_and_waiting_long_is_stuck(
    office: Office,
) -> None:
    citizen = await office.citizen()
    office.clock.set("2026-03-02", 9)
    app = await office.submit(citizen)
    office.clock.set("2026-03-02", 10)
    await office.act("amr-clerk", app, "accept")
    assert (await office.progress(citizen, app))["deadline"] == "2026-03-09"

    office.clock.set("2026-03-03", 10)
    await office.act(
        "amr-reviewer",
        app,
        "request-supplement",
        {"missing": ["floor-plan", "id-card"], "note": "平面图无比例尺，身份证复印件模糊"},
    )
    progress = await office.progress(citizen, app)
    assert progress["status"] == "supplement_requested"
    assert progress["statusText"] == "待补正材料"
    assert progress["supplement"] == {
        "missing": ["floor-plan", "id-card"],
        "missingMaterials": [
            {"materialId": "floor-plan", "name": "经营场所平面布局图"},
            {"materialId": "id-card", "name": "法定代表人（负责人）居民身份证"},
        ],
        "note": "平面图无比例尺，身份证复印件模糊",
    }
    assert progress["timeline"][-1]["text"] == (
        "请一次性补正以下材料：经营场所平面布局图、法定代表人（负责人）居民身份证"
        "（平面图无比例尺，身份证复印件模糊）"
    )

    office.clock.set("2026-03-04", 10)
    await office.supply(citizen, app, ["floor-plan"])
    progress = await office.progress(citizen, app)
    assert progress["status"] == "supplement_requested"
    assert progress["supplement"]["missing"] == ["id-card"]

    office.clock.set("2026-03-10", 10)
    assert await office.stuck(app) is None  # four working days
    office.clock.set("2026-03-11", 10)
    case = await office.stuck(app)
    assert case["reasons"] == ["supplement_waiting"]
    assert case["explanations"] == ["等待申请人补正材料已5个工作日"]

    office.clock.set("2026-03-12", 10)
    await office.supply(citizen, app, ["id-card"])
    progress = await office.progress(citizen, app)
    assert progress["status"] == "accepted"
    assert progress.get("supplement") is None
    assert progress["deadline"] == "2026-03-19"  # five working days from 03-12
    assert progress["timeline"][-1]["text"] == (
        "补正材料已齐全，办理时限重新计算，承诺于2026年3月19日前办结"
    )
    assert await office.stuck(app) is None


async def test_a_deferred_material_past_its_due_date_makes_the_case_stuck(
    office: Office,
) -> None:
    citizen = await office.citizen()
    office.clock.set("2026-03-02", 9)
    late = await office.submit(citizen, deferrables=False)
    in_time = await office.submit(citizen, deferrables=False)
    office.clock.set("2026-03-02", 10)
    for app in (late, in_time):
        await office.act("amr-clerk", app, "accept", {"deferredDue": "2026-03-05"})
    progress = await office.progress(citizen, late)
    assert progress["deferredMaterials"] == [
        {"materialId": "food-safety-rules", "name": "食品安全管理制度文本", "due": "2026-03-05"},
        {"materialId": "health-certificates", "name": "从业人员健康证明", "due": "2026-03-05"},
    ]
    assert progress["timeline"][-1]["text"].endswith(
        "容缺受理，请于2026年3月5日前补交：食品安全管理制度文本、从业人员健康证明"
    )

    # the other one hands its deferred materials in with a supplement
    office.clock.set("2026-03-03", 10)
    await office.act(
        "amr-reviewer", in_time, "request-supplement", {"missing": ["floor-plan"], "note": ""}
    )
    office.clock.set("2026-03-04", 10)
    await office.supply(
        citizen, in_time, ["floor-plan", "food-safety-rules", "health-certificates"]
    )
    assert (await office.progress(citizen, in_time))["deferredMaterials"] == []

    office.clock.set("2026-03-06", 10)
    office.watch()
    case = await office.stuck(late, "?reason=deferred_material_overdue")
    assert case is not None
    assert "容缺材料逾期未补交（应于2026-03-05前补交）" in case["explanations"]
    assert (await office.progress(citizen, late))["timeline"][-1]["text"] == (
        "容缺材料已逾期未交：食品安全管理制度文本、从业人员健康证明，请尽快补交"
    )
    assert await office.stuck(in_time, "?reason=deferred_material_overdue") is None
    assert "DeferredMaterialOverdue" not in types(await office.history(in_time))

    await office.supply(citizen, late, ["food-safety-rules", "health-certificates"])
    assert await office.stuck(late, "?reason=deferred_material_overdue") is None
    assert (await office.progress(citizen, late))["deferredMaterials"] == []


async def test_an_approved_paid_case_waiting_three_working_days_for_payment_is_stuck(
    office: Office,
) -> None:
    citizen = await office.citizen()
    office.clock.set("2026-03-02", 9)
    app = await office.submit(citizen, ID_CARD, "expired")
    office.clock.set("2026-03-02", 10)
    await office.act("police-clerk", app, "accept")
    approved = await office.act(
        "police-reviewer", app, "review", {"decision": "approve", "opinion": "同意换领"}
    )
    assert approved["status"] == "awaiting_payment"
    progress = await office.progress(citizen, app)
    assert progress["payment"] == {"amount": 2000, "status": "due"}

    office.clock.set("2026-03-04", 17)
    assert await office.stuck(app) is None
    office.clock.set("2026-03-05", 9)
    case = await office.stuck(app)
    assert case["reasons"] == ["payment_waiting"]
    assert case["explanations"] == ["审批通过后等待缴费已3个工作日"]
    assert await office.stuck(app, "?reason=payment_waiting") is not None


async def test_reasons_from_the_hooks_are_shown_once_per_code_with_every_fact(
    office: Office,
) -> None:
    citizen = await office.citizen()
    office.clock.set("2026-07-20", 9)
    app = await office.submit(citizen)

    async def failed_messages(_pool: Any) -> dict[uuid.UUID, list[tuple[str, Any, str]]]:
        # what the notification module reports: two messages of one case could not be sent
        return {
            uuid.UUID(app): [
                ("notification_failed", None, "微信通知发送失败（受理）：43101"),
                ("notification_failed", None, "微信通知发送失败（补正）：45009"),
            ]
        }

    office.services.stuck_reasons.append(failed_messages)
    try:
        case = await office.stuck(app)
    finally:
        office.services.stuck_reasons.remove(failed_messages)
    assert case["reasons"] == ["notification_failed"]
    assert case["explanations"] == [
        "微信通知发送失败（受理）：43101；微信通知发送失败（补正）：45009"
    ]
    assert await office.stuck(app) is None


# --- queues and department scoping --------------------------------------------------------------


async def queue(office: Office, username: str, name: str, paging: str = "") -> list[str]:
    office.settle()
    response = await office.client.get(
        f"/api/v1/admin/worklist?queue={name}{paging or '&limit=200'}",
        headers=await office.staff(username),
    )
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


async def test_departments_see_and_act_on_their_own_cases_when_it_is_their_turn(
    office: Office,
) -> None:
    citizen = await office.citizen()
    office.clock.set("2026-03-02", 9)
    first = await office.submit(citizen)
    second = await office.submit(citizen)
    await office.act("amr-clerk", second, "accept")  # deadline 03-09
    office.clock.set("2026-03-03", 10)
    await office.act("amr-clerk", first, "accept")  # deadline 03-10

    review = await queue(office, "amr-reviewer", "review")
    assert review.index(second) < review.index(first)  # earliest deadline first
    response = await office.client.get(
        "/api/v1/admin/worklist?queue=review&limit=200", headers=await office.staff("amr-reviewer")
    )
    item = next(i for i in response.json() if i["id"] == first)
    assert (item["deadline"], item["legalDeadline"]) == ("2026-03-10", "2026-03-31")
    paged: list[str] = []
    for offset in range(len(review)):
        paged += await queue(office, "amr-reviewer", "review", f"&limit=1&offset={offset}")
    assert paged == review
    assert first not in await queue(office, "health-reviewer", "review")
    assert first not in await queue(office, "amr-clerk", "acceptance")

    police = await office.staff("police-reviewer")
    missing = {"missing": ["floor-plan"], "note": "请补正"}
    response = await office.client.get(
        f"/api/v1/admin/applications/{first}/history", headers=police
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = await office.post_as("police-reviewer", first, "request-supplement", missing)
    assert response.status_code == 404
    # a department of a later stage does not see the case before its stage is reached
    response = await office.client.get(
        f"/api/v1/admin/applications/{first}/history", headers=await office.staff("health-reviewer")
    )
    assert response.status_code == 404
    response = await office.post_as("health-reviewer", first, "request-supplement", missing)
    assert response.status_code == 404

    await office.act("amr-reviewer", first, "review", {"decision": "approve", "opinion": "同意"})
    assert first in await queue(office, "health-reviewer", "review")
    assert first in await queue(office, "fire-reviewer", "review")
    assert first not in await queue(office, "amr-reviewer", "review")
    assert first in await queue(office, "supervisor", "review")
    await office.act("health-reviewer", first, "request-supplement", missing)


# --- evaluation and rectification -----------------------------------------------------------


REVIEWERS = {AMR: "amr-reviewer", HEALTH: "health-reviewer", FIRE: "fire-reviewer"}


async def test_a_bad_rating_opens_a_rectification_worked_to_its_close(office: Office) -> None:
    citizen = await office.citizen()
    office.clock.set("2026-03-02", 9)
    app = await office.submit(citizen)
    await office.act("amr-clerk", app, "accept")
    await office.approve_all(app, REVIEWERS)
    await office.act("amr-clerk", app, "issue-result", {"documentNo": "JY13301000000099"})
    url = f"/api/v1/applications/{app}/evaluation"
    too_early = await office.client.post(url, json={"rating": 5}, headers=citizen)
    assert (too_early.status_code, too_early.json()["code"]) == (409, "evaluation_too_early")
    assert too_early.json()["detail"] == "办件办结后才能评价"
    office.clock.set("2026-03-03", 15)
    handed = await office.act("amr-clerk", app, "hand-over")
    assert handed["status"] == "completed"

    office.clock.set("2026-03-04", 10)
    rated = await office.client.post(
        url, json={"rating": 1, "comment": "窗口人员态度差"}, headers=citizen
    )
    assert rated.status_code == 200, rated.text
    # read straight after the rating, with its position: the item is there (no settling)
    fresh = await office.client.get(
        f"/api/v1/admin/rectifications?after={rated.json()['position']}",
        headers=await office.staff("supervisor"),
    )
    assert fresh.status_code == 200, fresh.text
    assert app in [r["applicationId"] for r in fresh.json()]
    again = await office.client.post(url, json={"rating": 5}, headers=citizen)
    assert (again.status_code, again.json()["code"]) == (409, "already_evaluated")
    assert again.json()["detail"] == "您已评价过该办件"
    assert (await office.progress(citizen, app))["evaluation"] == {"rating": 1}

    supervisor = await office.staff("supervisor")
    clerk_view = await office.client.get(
        "/api/v1/admin/rectifications", headers=await office.staff("amr-clerk")
    )
    assert clerk_view.status_code == 403

    async def item() -> dict[str, Any]:
        office.settle()
        response = await office.client.get("/api/v1/admin/rectifications", headers=supervisor)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = next(r for r in response.json() if r["applicationId"] == app)
        return found

    opened = await item()
    assert opened["status"] == "open"
    assert opened["rating"] == 1
    assert opened["comment"] == "窗口人员态度差"
    assert opened["departments"] == [AMR, HEALTH, FIRE]

    step_url = f"/api/v1/admin/applications/{app}/rectification"
    early = await office.client.post(
        step_url, json={"step": "close", "note": "结束"}, headers=supervisor
    )
    assert early.status_code == 409
    for step, note in [
        ("follow_up", "已电话回访申请人"),
        ("fix", "对窗口人员批评教育"),
        ("feedback", "向申请人反馈整改情况"),
    ]:
        office.clock.set("2026-03-05", 10)
        response = await office.client.post(
            step_url, json={"step": step, "note": note}, headers=supervisor
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == step
        assert (await item())["status"] == step
    blank = await office.client.post(
        step_url, json={"step": "close", "note": " "}, headers=supervisor
    )
    assert blank.status_code == 400
    closed = await office.client.post(
        step_url, json={"step": "close", "note": "申请人表示认可"}, headers=supervisor
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    final = await item()
    assert final["status"] == "closed"
    assert [(s["step"], s["by"]) for s in final["steps"]] == [
        ("follow_up", "supervisor"),
        ("fix", "supervisor"),
        ("feedback", "supervisor"),
        ("close", "supervisor"),
    ]
    assert final["steps"][-1]["note"] == "申请人表示认可"
    listed = await office.client.get(
        "/api/v1/admin/rectifications?status=closed", headers=supervisor
    )
    assert app in [r["applicationId"] for r in listed.json()]


# --- forced transitions --------------------------------------------------------------------------


async def test_forced_transitions_keep_the_clock_the_queues_and_the_notice_right(
    office: Office,
) -> None:
    citizen = await office.citizen()
    office.clock.set("2026-07-06", 9)  # a Monday
    paused, waiting, denied = [await office.submit(citizen) for _ in range(3)]
    for app in (paused, denied):
        await office.act("amr-clerk", app, "accept")  # deadline 07-13
    await office.act(
        "amr-clerk", waiting, "request-supplement", {"missing": ["floor-plan"], "note": "缺图"}
    )
    office.clock.set("2026-07-07", 10)
    await office.act("amr-reviewer", denied, "review", {"decision": "deny", "opinion": "不符合"})
    office.clock.set("2026-07-08", 10)
    await office.act("amr-reviewer", paused, "suspend", {"reason": "专家评审"})  # 3 days left

    office.clock.set("2026-07-17", 10)
    supervisor = "supervisor"
    await office.act(
        supervisor, paused, "force-transition", {"status": "accepted", "reason": "专家评审已结束"}
    )
    progress = await office.progress(citizen, paused)
    assert progress["status"] == "accepted"
    assert progress["deadline"] == "2026-07-22"
    assert progress["timeline"][-1]["text"] == (
        "办件状态调整为“已受理”：专家评审已结束，承诺于2026年7月22日前办结"
    )

    await office.act(
        supervisor, waiting, "force-transition", {"status": "rejected", "reason": "逾期未补正材料"}
    )
    progress = await office.progress(citizen, waiting)
    assert progress["status"] == "rejected"
    assert progress.get("supplement") is None

    await office.act(
        supervisor, denied, "force-transition", {"status": "under_review", "reason": "复议重新审查"}
    )
    assert denied in await queue(office, "amr-reviewer", "review")
    response = await office.client.get(
        "/api/v1/admin/stats?start=2026-07-06&end=2026-07-06",
        headers=await office.staff(supervisor),
    )
    row = next(r for r in response.json() if r["serviceCode"] == FOOD)
    assert (row["received"], row["completed"]) == (3, 0)
    assert row["onTimeRate"] is None  # nothing decided: the denial was overruled
    assert row["averageWorkingDays"] is None
    await office.act(
        "amr-reviewer", denied, "review", {"decision": "approve", "opinion": "复查通过"}
    )


# --- statistics -------------------------------------------------------------------------------


async def test_statistics_per_service_for_a_small_known_set(office: Office) -> None:
    housing = {HOUSING: "housing-reviewer"}
    citizen = await office.citizen()
    # just outside the period on both sides (China time)
    office.clock.set("2026-04-06", 23, 30)
    await office.submit(citizen, BUILDING)
    office.clock.set("2026-04-09", 0, 30)
    await office.submit(citizen, BUILDING)

    # on time, collected at the window: 2 working days, rated 5
    office.clock.set("2026-04-07", 7, 30)
    quick = await office.submit(citizen, BUILDING)
    office.clock.set("2026-04-07", 9)
    await office.act("housing-clerk", quick, "accept")  # deadline 04-10
    await office.approve_all(quick, housing)
    await office.act("housing-clerk", quick, "issue-result", {"documentNo": "SG-1"})
    office.clock.set("2026-04-09", 10)
    await office.act("housing-clerk", quick, "hand-over")
    rating = {"rating": 5, "comment": "很快"}
    response = await office.client.post(
        f"/api/v1/applications/{quick}/evaluation", json=rating, headers=citizen
    )
    assert response.status_code == 200, response.text

    # two supplement rounds, by courier (no visit), late: 5 working days, rated 2
    office.clock.set("2026-04-07", 10)
    slow = await office.submit(citizen, BUILDING, courier=True)
    missing = {"missing": ["construction-contract"], "note": "合同缺少签章页"}
    await office.act("housing-clerk", slow, "request-supplement", missing)
    await office.supply(citizen, slow, ["construction-contract"])
    office.clock.set("2026-04-08", 9)
    await office.act("housing-clerk", slow, "accept")  # deadline 04-13
    missing = {"missing": ["funding-commitment"], "note": "承诺书未盖章"}
    await office.act("housing-reviewer", slow, "request-supplement", missing)
    office.clock.set("2026-04-09", 9)
    await office.supply(citizen, slow, ["funding-commitment"])  # deadline 04-14
    office.clock.set("2026-04-14", 9)
    await office.approve_all(slow, housing)
    await office.act("housing-clerk", slow, "issue-result", {"documentNo": "SG-2"})
    office.clock.set("2026-04-15", 9)
    reason = {"status": "completed", "reason": "快递已签收，快递公司未回传"}
    await office.act("supervisor", slow, "force-transition", reason)
    response = await office.client.post(
        f"/api/v1/applications/{slow}/evaluation", json={"rating": 2}, headers=citizen
    )
    assert response.status_code == 200, response.text

    # withdrawn: received, never decided
    office.clock.set("2026-04-08", 12)
    gone = await office.submit(citizen, BUILDING)
    response = await office.client.post(
        f"/api/v1/applications/{gone}/withdraw", json={"reason": "不办了"}, headers=citizen
    )
    assert response.status_code == 200

    office.settle()
    response = await office.client.get(
        "/api/v1/admin/stats?start=2026-04-07&end=2026-04-08",
        headers=await office.staff("supervisor"),
    )
    assert response.status_code == 200, response.text
    row = next(r for r in response.json() if r["serviceCode"] == BUILDING)
    assert row == {
        "serviceCode": BUILDING,
        "serviceName": "建筑工程施工许可证核发",
        "department": HOUSING,
        "received": 3,
        "completed": 2,
        "onTimeRate": 0.5,
        "averageWorkingDays": 3.5,
        "supplementRounds": 2,
        "withSecondSupplementRound": 1,
        "zeroVisitShare": 0.5,
        "ratings": 2,
        "averageRating": 3.5,
        "satisfiedShare": 0.5,
        "certificateShare": 0.0,  # every material an upload
    }
    # department staff get their own department's numbers only
    own = await office.client.get(
        "/api/v1/admin/stats?start=2026-04-07&end=2026-04-08",
        headers=await office.staff("amr-clerk"),
    )
    assert all(r["department"] == AMR for r in own.json())


# --- the holiday calendar -------------------------------------------------------------------------


async def test_admins_override_the_calendar_and_new_deadlines_follow_it(office: Office) -> None:
    admin = await office.staff("admin")
    clerk = await office.staff("amr-clerk")
    url = "/api/v1/admin/calendar/2026-06-03"
    body = {"kind": "holiday", "note": "台风停工"}

    forbidden = await office.client.put(url, json=body, headers=clerk)
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden"
    assert (
        await office.client.put(url, json={"kind": "weekday"}, headers=admin)
    ).status_code == 400

    citizen = await office.citizen()
    office.clock.set("2026-06-01", 9)  # a Monday
    plain = await office.submit(citizen)
    with_day_off = await office.submit(citizen)
    await office.act("amr-clerk", plain, "accept")
    saved = await office.client.put(url, json=body, headers=admin)
    try:
        assert saved.status_code == 200, saved.text
        assert saved.json() == {"day": "2026-06-03", "kind": "holiday", "note": "台风停工"}
        listed = await office.client.get("/api/v1/admin/calendar", headers=clerk)
        assert {"day": "2026-06-03", "kind": "holiday", "note": "台风停工"} in listed.json()
        await office.act("amr-clerk", with_day_off, "accept")
        assert (await office.progress(citizen, plain))["deadline"] == "2026-06-08"
        assert (await office.progress(citizen, with_day_off))["deadline"] == "2026-06-09"
        assert (await office.client.delete(url, headers=clerk)).status_code == 403
    finally:
        removed = await office.client.delete(url, headers=admin)
    assert removed.status_code == 204
    assert (await office.client.delete(url, headers=admin)).status_code == 404
    listed = await office.client.get("/api/v1/admin/calendar", headers=clerk)
    assert "2026-06-03" not in [d["day"] for d in listed.json()]
    again = await office.submit(citizen)
    await office.act("amr-clerk", again, "accept")
    assert (await office.progress(citizen, again))["deadline"] == "2026-06-08"


# --- the history ------------------------------------------------------------------------------


async def test_the_history_shows_actor_role_time_and_reason_of_every_action(
    office: Office,
) -> None:
    citizen = await office.citizen()
    moments: dict[str, datetime] = {}
    moments["Submitted"] = office.clock.set("2026-05-11", 9)
    app = await office.submit(citizen)
    moments["SupplementRequested"] = office.clock.set("2026-05-11", 9, 30)
    await office.act(
        "amr-clerk", app, "request-supplement", {"missing": ["floor-plan"], "note": "缺比例尺"}
    )
    moments["SupplementProvided"] = office.clock.set("2026-05-11", 9, 45)
    await office.supply(citizen, app, ["floor-plan"])
    moments["Accepted"] = office.clock.set("2026-05-11", 10)
    await office.act("amr-clerk", app, "accept")
    moments["Suspended"] = office.clock.set("2026-05-11", 11)
    await office.act("amr-reviewer", app, "suspend", {"reason": "需现场核查"})
    moments["Resumed"] = office.clock.set("2026-05-13", 10)
    await office.act("amr-reviewer", app, "resume")
    moments["NoteAdded"] = office.clock.set("2026-05-13", 10, 30)
    await office.act("amr-reviewer", app, "notes", {"text": "现场核查已完成"})
    moments["Escalated"] = office.clock.set("2026-05-13", 11)
    await office.act("supervisor", app, "escalate", {"note": "请加快办理"})
    moments["Reviewed"] = office.clock.set("2026-05-13", 14)
    await office.act("amr-reviewer", app, "review", {"decision": "approve", "opinion": "符合"})
    moments["Reassigned"] = office.clock.set("2026-05-14", 9)
    await office.act(
        "supervisor",
        app,
        "reassign",
        {"department": HOUSING, "fromDepartment": FIRE, "reason": "消防审查职能划转"},
    )
    moments["TransitionForced"] = office.clock.set("2026-05-15", 9)
    await office.act(
        "admin", app, "force-transition", {"status": "approved", "reason": "线下会审已通过"}
    )

    history = await office.history(app)
    assert types(history) == [
        "Submitted",
        "SupplementRequested",
        "SupplementProvided",
        "SupplementCompleted",
        "Accepted",
        "Suspended",
        "Resumed",
        "NoteAdded",
        "Escalated",
        "Reviewed",
        "StageCompleted",
        "Reassigned",
        "TransitionForced",
    ]
    assert [e["version"] for e in history] == list(range(1, len(history) + 1))
    by_type = {e["type"]: e for e in history}
    for kind, moment in moments.items():
        assert datetime.fromisoformat(by_type[kind]["at"]) == moment, kind
    roles = {e["type"]: (e["actor"]["role"], e["actor"].get("department")) for e in history}
    assert roles["Submitted"][0] == "citizen"
    assert roles["SupplementProvided"][0] == "citizen"
    assert roles["SupplementRequested"] == ("clerk", AMR)
    assert roles["SupplementCompleted"][0] == "system"
    assert roles["Suspended"] == ("reviewer", AMR)
    assert roles["Escalated"] == ("supervisor", None)
    assert roles["Reassigned"] == ("supervisor", None)
    assert roles["TransitionForced"] == ("admin", None)
    assert by_type["SupplementRequested"]["actor"]["name"] == "amr-clerk"
    assert by_type["SupplementRequested"]["data"]["note"] == "缺比例尺"
    assert by_type["Suspended"]["data"]["reason"] == "需现场核查"
    assert by_type["NoteAdded"]["data"]["text"] == "现场核查已完成"
    assert by_type["Escalated"]["data"]["note"] == "请加快办理"
    assert by_type["Escalated"]["data"]["departments"] == [AMR]
    assert by_type["Reviewed"]["data"]["opinion"] == "符合"
    assert by_type["Reassigned"]["data"]["reason"] == "消防审查职能划转"
    assert by_type["TransitionForced"]["data"]["reason"] == "线下会审已通过"
    assert by_type["TransitionForced"]["data"]["from_status"] == "under_review"

    # nothing in it can be changed or removed
    url = f"/api/v1/admin/applications/{app}/history"
    admin = await office.staff("admin")
    assert (await office.client.delete(url, headers=admin)).status_code == 405
    assert (await office.client.put(url, json=[], headers=admin)).status_code == 405
    assert (await office.history(app))[: len(history)] == history


async def test_text_with_a_nul_character_is_refused_and_the_read_models_keep_going(
    office: Office,
) -> None:
    citizen = await office.citizen()
    office.clock.set("2026-05-18", 9)
    app = await office.submit(citizen)
    refused = await office.post_as("amr-clerk", app, "reject", {"reason": "不属于本部门\x00受理"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_failed"
    await office.act("amr-clerk", app, "reject", {"reason": "不属于本部门受理范围"})
    url = f"/api/v1/applications/{app}/evaluation"
    bad = await office.client.post(url, json={"rating": 1, "comment": "差\x00评"}, headers=citizen)
    assert bad.status_code == 400
    rated = await office.client.post(url, json={"rating": 1, "comment": "差评"}, headers=citizen)
    assert rated.status_code == 200, rated.text
    later = await office.submit(citizen)
    assert (await office.progress(citizen, later))["status"] == "submitted"
    assert (await office.progress(citizen, app))["evaluation"] == {"rating": 1}
