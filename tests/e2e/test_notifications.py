"""Subscribe messages over HTTP in sandbox mode: a citizen who subscribed hears of every step,
once, in Chinese; one who did not hears nothing; a rebuild sends nothing again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.eventstore import KeyRing, Recorder, build_mapper, decoder
from backend.settings import Settings
from integrations.wechat import FakeWeChat
from projections.notifications import NotificationProjection
from projections.runner import ProjectionRunner
from tests.e2e.conftest import SECRET, citizen_headers, required_materials, staff_headers, upload

BENEFIT = "GF-00301-000"  # 失业保险金申领: one stage (人社局), no fee, pickup


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll ``check`` until it holds; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        if await check():
            return
        if loop.time() > deadline:
            raise AssertionError(f"not reached within {within} s")
        await asyncio.sleep(0.02)


async def submit(client: httpx.AsyncClient, citizen: dict[str, str]) -> dict[str, Any]:
    guide = (await client.get(f"/api/v1/services/{BENEFIT}")).json()
    materials = [
        {"materialId": material_id, "fileId": await upload(client, citizen)}
        for material_id in required_materials(guide, "self")
    ]
    body = {
        "serviceCode": BENEFIT,
        "situationId": "self",
        "form": {"reason": "合同到期"},
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    response = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert response.status_code == 201, response.text
    app: dict[str, Any] = response.json()
    return app


async def inbox(client: httpx.AsyncClient, openid: str) -> list[dict[str, Any]]:
    """The sandbox inbox of the citizen with ``openid`` (``sandbox-<name>``), as they read it."""
    me = await citizen_headers(client, openid.removeprefix("sandbox-"))
    response = await client.get("/api/v1/sandbox/messages", headers=me)
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()
    return messages


async def settled(pool: asyncpg.Pool, rows: int) -> bool:
    """The outbox has ``rows`` rows, each at its outcome (nothing more can be sent)."""
    counts = await pool.fetchrow(
        "SELECT count(*) AS rows, count(*) FILTER (WHERE status IN ('pending', 'sending'))"
        " AS open FROM notification_outbox"
    )
    assert counts is not None
    return bool(counts["rows"] == rows and counts["open"] == 0)


async def template_ids(client: httpx.AsyncClient) -> dict[str, str]:
    """Event -> template id, as the mini-program reads them."""
    response = await client.get("/api/v1/notification-templates")  # no login needed
    assert response.status_code == 200, response.text
    return {t["event"]: t["templateId"] for t in response.json()}


async def test_a_subscribed_citizen_hears_of_each_step_once_in_chinese(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    ids = await template_ids(client)
    citizen = await citizen_headers(client, "notify-li")
    wanted = [ids["Accepted"], ids["Approved"], ids["ResultIssued"]]
    subscribed = await client.post(
        "/api/v1/me/subscriptions", json={"accepted": wanted}, headers=citizen
    )
    assert subscribed.status_code == 200, subscribed.text
    quota = {q["templateId"]: q["remaining"] for q in subscribed.json()}
    assert [quota[t] for t in wanted] == [1, 1, 1]

    app = await submit(client, citizen)
    clerk = await staff_headers(client, "hrss-clerk")
    reviewer = await staff_headers(client, "hrss-reviewer")
    steps = [
        (f"/api/v1/admin/applications/{app['id']}/accept", None, clerk),
        (
            f"/api/v1/admin/applications/{app['id']}/review",
            {"decision": "approve", "opinion": "符合条件"},
            reviewer,
        ),
        (
            f"/api/v1/admin/applications/{app['id']}/issue-result",
            {"documentNo": "SY2026-0301"},
            clerk,
        ),
    ]
    for url, body, headers in steps:
        response = await client.post(url, json=body, headers=headers)
        assert response.status_code == 200, response.text

    async def three_arrived() -> bool:
        return len(await inbox(client, "sandbox-notify-li")) >= 3

    await eventually(three_arrived)
    await eventually(lambda: settled(pool, 3))
    messages = await inbox(client, "sandbox-notify-li")

    assert [m["templateId"] for m in messages] == wanted  # one per step, in order, once each
    values = [{k: v["value"] for k, v in m["data"].items()} for m in messages]
    assert [v["phrase3"] for v in values] == ["已受理", "审批通过", "待领取"]
    assert values[0]["thing5"] == "承诺3个工作日内办结"
    assert values[2]["thing4"] == "请到市民中心C区社保8号窗口领取"
    assert all(v["thing2"] == "失业保险金申领" for v in values)
    assert all(v["character_string1"] == app["number"] for v in values)
    assert {m["page"] for m in messages} == {f"pages/application/detail?id={app['id']}"}
    # each one-time subscription was used by its one message
    left = (await client.get("/api/v1/me/subscriptions", headers=citizen)).json()
    assert [q["remaining"] for q in left if q["templateId"] in wanted] == [0, 0, 0]


async def test_a_citizen_who_did_not_subscribe_gets_nothing_and_the_rows_say_why(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    citizen = await citizen_headers(client, "notify-zhao")
    app = await submit(client, citizen)
    clerk = await staff_headers(client, "hrss-clerk")
    accepted = await client.post(f"/api/v1/admin/applications/{app['id']}/accept", headers=clerk)
    assert accepted.status_code == 200, accepted.text

    await eventually(lambda: settled(pool, 1))
    row = await pool.fetchrow(
        "SELECT status, attempts, last_error FROM notification_outbox"
        " WHERE application_id = $1::text::uuid",
        app["id"],
    )
    assert row is not None
    assert (row["status"], row["attempts"]) == ("skipped", 0)
    assert "quota" in row["last_error"]
    assert await inbox(client, "sandbox-notify-zhao") == []


async def test_rebuilding_or_replaying_the_projection_writes_and_sends_nothing_twice(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    ids = await template_ids(client)
    citizen = await citizen_headers(client, "notify-qian")
    await client.post(
        "/api/v1/me/subscriptions", json={"accepted": [ids["Accepted"]] * 2}, headers=citizen
    )
    app = await submit(client, citizen)
    clerk = await staff_headers(client, "hrss-clerk")
    await client.post(f"/api/v1/admin/applications/{app['id']}/accept", headers=clerk)
    await eventually(lambda: settled(pool, 1))
    before = await pool.fetch("SELECT * FROM notification_outbox ORDER BY id")
    assert [r["status"] for r in before] == ["sent"]

    # what `onewindow projections rebuild notifications` does, from another process
    projection = NotificationProjection()
    mapper = build_mapper(KeyRing(SECRET))  # the app's secret key unwraps the citizens' keys
    runner = ProjectionRunner(pool, Recorder(), decoder(mapper), [projection])
    head = await pool.fetchval("SELECT max(notification_id) FROM onewindow_events")
    await runner.rebuild(projection)  # (the app's own worker may apply some of the batches)
    assert await runner.position("notifications") == head
    # a replay after a crash: the tracking position falls back, the rows stay
    await pool.execute("UPDATE projection_tracking SET position = 0 WHERE name = 'notifications'")
    await runner.catch_up(projection)
    assert await runner.position("notifications") == head
    await asyncio.sleep(0.3)  # time enough for a (wrong) second message to go out
    after = await pool.fetch("SELECT * FROM notification_outbox ORDER BY id")

    assert [dict(r) for r in after] == [dict(r) for r in before]
    assert len(await inbox(client, "sandbox-notify-qian")) == 1
    subjects = await pool.fetchval("SELECT count(*) FROM notification_subjects")
    assert subjects == 1  # the rebuild refilled what it emptied


async def test_templates_are_listed_and_unknown_ones_cannot_be_subscribed(
    client: httpx.AsyncClient,
) -> None:
    listed = (await client.get("/api/v1/notification-templates")).json()
    events = {t["event"] for t in listed}
    assert {"Accepted", "Approved", "Denied", "ResultIssued", "SupplementRequested"} <= events
    assert all(t["title"] and t["templateId"] for t in listed)
    reminder = next(t for t in listed if t["event"] == "AppointmentReminder")
    assert reminder["longTerm"] is True

    citizen = await citizen_headers(client)
    unknown = await client.post(
        "/api/v1/me/subscriptions",
        json={"accepted": [listed[0]["templateId"], "no-such-template"]},
        headers=citizen,
    )
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "validation_failed"
    assert "accepted[1]" in unknown.json()["errors"]
    quota = (await client.get("/api/v1/me/subscriptions", headers=citizen)).json()
    assert all(q["remaining"] in (0, None) for q in quota)  # nothing was recorded

    long_term = await client.post(
        "/api/v1/me/subscriptions", json={"accepted": [reminder["templateId"]]}, headers=citizen
    )
    assert long_term.status_code == 200
    entry = next(q for q in long_term.json() if q["templateId"] == reminder["templateId"])
    assert entry["remaining"] is None  # long-term: no quota needed

    clerk = await staff_headers(client, "hrss-clerk")
    as_staff = await client.post("/api/v1/me/subscriptions", json={"accepted": []}, headers=clerk)
    assert as_staff.status_code == 403

    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/api/v1/notification-templates", "/api/v1/me/subscriptions"} <= set(paths)
    assert "/api/v1/sandbox/messages" in paths  # sandbox mode


@pytest.fixture
def real_wechat() -> Any:
    with FakeWeChat() as fake:
        yield fake


async def test_the_app_learns_which_templates_to_ask_for_at_each_step_at_most_three(
    client: httpx.AsyncClient,
) -> None:
    listed = (await client.get("/api/v1/notification-templates")).json()
    accepted = next(t for t in listed if t["event"] == "Accepted")
    assert accepted["steps"] == ["submit"]

    for step in ("submit", "pay", "issue", "booking", "withdraw"):
        asked = await client.get("/api/v1/notification-templates", params={"step": step})
        assert asked.status_code == 200, asked.text
        ids = [t["templateId"] for t in asked.json()]
        # what wx.requestSubscribeMessage({tmplIds}) takes: distinct ids, three at most
        assert 0 < len(ids) <= 3, (step, ids)
        assert len(set(ids)) == len(ids), (step, ids)
        assert all(step in t["steps"] for t in asked.json())
    paid = (await client.get("/api/v1/notification-templates?step=pay")).json()
    assert {t["event"] for t in paid} >= {"Paid", "ResultIssued", "DeliveryDispatched"}

    unknown = await client.get("/api/v1/notification-templates", params={"step": "dance"})
    assert unknown.status_code == 400


async def test_the_sandbox_inbox_does_not_exist_outside_sandbox_mode(
    db_url: str, tmp_path: Path, real_wechat: FakeWeChat
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=db_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        wechat_appid=real_wechat.appid,
        wechat_secret=real_wechat.secret,
        wechat_api_base_url=real_wechat.base_url,  # "WeChat" here is still a local fake
        run_workers=False,
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        me = await citizen_headers(client, "outside-sandbox")
        assert (await client.get("/api/v1/sandbox/messages", headers=me)).status_code == 404
        assert (await client.get("/api/v1/notification-templates")).status_code == 200


async def test_the_sandbox_inbox_shows_a_citizen_only_their_own_messages(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    ids = await template_ids(client)
    owner = await citizen_headers(client, "notify-own")
    subscribed = await client.post(
        "/api/v1/me/subscriptions", json={"accepted": [ids["Accepted"]]}, headers=owner
    )
    assert subscribed.status_code == 200, subscribed.text
    app = await submit(client, owner)
    clerk = await staff_headers(client, "hrss-clerk")
    accepted = await client.post(f"/api/v1/admin/applications/{app['id']}/accept", headers=clerk)
    assert accepted.status_code == 200, accepted.text

    async def arrived() -> bool:
        return len(await inbox(client, "sandbox-notify-own")) == 1

    await eventually(arrived)
    assert (await client.get("/api/v1/sandbox/messages")).status_code == 401  # no token
    nosy = await citizen_headers(client, "notify-nosy")
    for params in ({"openid": "sandbox-notify-own"}, {}):
        peek = await client.get("/api/v1/sandbox/messages", params=params, headers=nosy)
        assert peek.status_code == 200, peek.text
        assert peek.json() == []  # neither someone else's inbox nor everyone's


async def test_a_failed_notification_is_a_stuck_case_until_a_supervisor_resends_it(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    ids = await template_ids(client)
    citizen = await citizen_headers(client, "notify-fail")
    await client.post(
        "/api/v1/me/subscriptions", json={"accepted": [ids["Accepted"]]}, headers=citizen
    )
    app = await submit(client, citizen)
    clerk = await staff_headers(client, "hrss-clerk")
    supervisor = await staff_headers(client, "supervisor")
    accepted = await client.post(f"/api/v1/admin/applications/{app['id']}/accept", headers=clerk)
    assert accepted.status_code == 200
    await eventually(lambda: settled(pool, 1))
    # WeChat refused it for good (as after 12 attempts, or a 47003): the row says failed
    await pool.execute(
        "UPDATE notification_outbox SET status = 'failed', last_error = '47003 argument invalid',"
        " quota_reserved = false"
    )
    await pool.execute("UPDATE notification_quota SET remaining = 1")  # WeChat gave it back
    stuck = await client.get(
        "/api/v1/admin/stuck-cases?reason=notification_failed", headers=supervisor
    )
    assert [c["applicationId"] for c in stuck.json()] == [app["id"]]
    before = len(await inbox(client, "sandbox-notify-fail"))

    clerk_try = await client.post(
        f"/api/v1/admin/applications/{app['id']}/resend-notifications",
        json={"reason": "微信已恢复"},
        headers=clerk,
    )
    assert clerk_try.status_code == 403
    resent = await client.post(
        f"/api/v1/admin/applications/{app['id']}/resend-notifications",
        json={"reason": "微信已恢复"},
        headers=supervisor,
    )
    assert resent.status_code == 200, resent.text

    async def delivered_again() -> bool:
        return len(await inbox(client, "sandbox-notify-fail")) == before + 1

    await eventually(delivered_again)
    await eventually(lambda: settled(pool, 1))
    stuck = await client.get(
        "/api/v1/admin/stuck-cases?reason=notification_failed", headers=supervisor
    )
    assert stuck.json() == []
    history = await client.get(
        f"/api/v1/admin/applications/{app['id']}/history", headers=supervisor
    )
    resend = [e for e in history.json() if e["type"] == "NotificationsResent"]
    assert resend[0]["data"] == {"reason": "微信已恢复", "count": 1}
    nothing_left = await client.post(
        f"/api/v1/admin/applications/{app['id']}/resend-notifications",
        json={"reason": "again"},
        headers=supervisor,
    )
    assert nothing_left.status_code == 409
