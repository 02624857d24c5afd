"""The operator console over plain HTTP: sessions, CSRF, CSP, role and department rules, the
personal-data audit, errors as pages. (The browser journeys are in tests/browser.)"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.ratelimit import LoginBackoff
from backend.settings import Settings
from domain.identity import id_check_digit
from integrations.certificates.fake_platform import ID_CARD
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    SECRET,
    citizen_headers,
    required_materials,
    staff_headers,
    upload,
)

FOOD = "XK-00101-000"  # AMR -> (health || fire) -> AMR
BASE = "http://127.0.0.1:8000"


@pytest.fixture
async def console(db_url: str, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    """The app on a loopback address (so the session cookie needs no HTTPS)."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=db_url,
        secret_key=SECRET,
        login_backoff=LoginBackoff(free_attempts=3),
    )
    async with AsyncTestClient(app=create_app(settings, demo=True), base_url=BASE) as client:
        client.follow_redirects = False  # the redirects are what these tests look at
        yield client


async def projected(pool: asyncpg.Pool, app_id: str) -> str:
    """The application's number once the progress read model has it."""
    for _ in range(100):
        number = await pool.fetchval(
            "SELECT number FROM application_view WHERE id = $1", UUID(app_id)
        )
        if number:
            return str(number)
        await asyncio.sleep(0.05)
    raise AssertionError("the read model never got the application")


def token_in(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in through the form; the CSRF token for the next posts."""
    client.cookies.clear()
    token = token_in((await client.get("/console/login")).text)
    response = await client.post(
        "/console/login",
        data={"username": username, "password": password, "_csrf_token": token},
    )
    assert response.status_code == 303, response.text
    return token


async def submit(client: httpx.AsyncClient, courier: bool = False) -> str:
    citizen = await citizen_headers(client)
    guide = (await client.get(f"/api/v1/services/{FOOD}")).json()
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in required_materials(guide, "new")
    ]
    delivery: dict[str, Any] = {"method": "pickup"}
    if courier:
        address = {"name": "王五", "phone": "13700137000", "province": "浙江省"}
        address |= {"city": "杭州市", "district": "上城区", "detail": "解放路1号"}
        delivery = {"method": "courier", "address": address}
    body = {
        "serviceCode": FOOD,
        "situationId": "new",
        "form": {"idNumber": "330102198001011234"},
        "materials": materials,
        "delivery": delivery,
    }
    response = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert response.status_code == 201, response.text
    app_id: str = response.json()["id"]
    return app_id


async def test_a_browser_at_the_root_is_sent_to_the_console_and_an_api_client_gets_a_problem(
    console: AsyncTestClient[Any],
) -> None:
    browser = await console.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.status_code == 302
    assert browser.headers["location"] == "/console/"
    api = await console.get("/", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["code"] == "not_found"
    home = await console.get("/console/")
    assert home.status_code == 303
    assert home.headers["location"] == "/console/login"


async def test_signing_in_sets_a_strict_http_only_cookie_and_a_new_session_every_time(
    console: AsyncTestClient[Any],
    pool: asyncpg.Pool,
) -> None:
    token = token_in((await console.get("/console/login")).text)
    form = {"username": "amr-clerk", "password": DEMO_PASSWORD, "_csrf_token": token}
    first = await console.post("/console/login", data=form)
    assert first.status_code == 303
    assert first.headers["location"] == "/console/worklist"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # 127.0.0.1: make run works over plain HTTP
    old = console.cookies["onewindow_console"]
    second = await console.post("/console/login", data=form)
    assert second.status_code == 303
    assert console.cookies["onewindow_console"] != old  # never the same id after a login
    console.cookies.set("onewindow_console", old, domain="127.0.0.1", path="/console")
    stale = await console.get("/console/worklist")
    assert stale.status_code == 303
    assert stale.headers["location"] == "/console/login"
    rows = await pool.fetchval("SELECT count(*) FROM console_sessions")
    assert rows == 1


async def test_the_session_cookie_is_secure_off_loopback(console: AsyncTestClient[Any]) -> None:
    site = "http://console.example.gov.cn"
    token = token_in((await console.get(f"{site}/console/login")).text)
    response = await console.post(
        f"{site}/console/login",
        data={"username": "amr-clerk", "password": DEMO_PASSWORD, "_csrf_token": token},
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


async def test_a_made_up_session_cookie_opens_nothing(
    console: AsyncTestClient[Any], pool: asyncpg.Pool
) -> None:
    console.cookies.set("onewindow_console", "chosen-by-the-attacker", path="/console")
    response = await console.get("/console/worklist")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"
    assert await pool.fetchval("SELECT count(*) FROM console_sessions") == 0


async def test_a_clerk_of_another_department_gets_404_for_the_case_and_its_materials(
    console: AsyncTestClient[Any],
) -> None:
    app_id = await submit(console)
    await sign_in(console, "amr-clerk")
    page = await console.get(f"/console/cases/{app_id}")
    assert page.status_code == 200
    file_id = re.search(rf"/console/cases/{app_id}/materials/([0-9a-f-]+)", page.text)
    assert file_id is not None
    material = await console.get(f"/console/cases/{app_id}/materials/{file_id.group(1)}")
    assert material.status_code == 200
    assert material.headers["content-type"] == "image/png"
    assert material.headers["content-disposition"].startswith("inline")
    assert material.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in material.headers["content-security-policy"]

    await sign_in(console, "police-clerk")
    assert (await console.get(f"/console/cases/{app_id}")).status_code == 404
    stolen = await console.get(f"/console/cases/{app_id}/materials/{file_id.group(1)}")
    assert stolen.status_code == 404
    assert "未找到" in stolen.text


async def test_a_file_that_is_not_a_material_of_the_case_is_not_served(
    console: AsyncTestClient[Any],
) -> None:
    app_id = await submit(console)
    stray = await upload(console, await citizen_headers(console))
    await sign_in(console, "amr-clerk")
    response = await console.get(f"/console/cases/{app_id}/materials/{stray}")
    assert response.status_code == 404


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    console: AsyncTestClient[Any],
) -> None:
    app_id = await submit(console)
    await sign_in(console, "amr-clerk")
    response = await console.post(f"/console/cases/{app_id}/act/note", data={"text": "伪造"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "CSRF" in response.text
    forged = await console.post(
        f"/console/cases/{app_id}/act/note", data={"text": "伪造", "_csrf_token": "0" * 128}
    )
    assert forged.status_code == 403
    history = await console.get(
        f"/api/v1/admin/applications/{app_id}/history",
        headers=await staff_headers(console, "supervisor"),
    )
    assert "NoteAdded" not in [entry["type"] for entry in history.json()]


@pytest.mark.parametrize(
    ("username", "allowed", "refused"),
    [
        ("amr-clerk", ["/console/worklist", "/console/desk"], ["/console/admin/staff"]),
        ("amr-reviewer", ["/console/stuck"], ["/console/desk", "/console/courier/"]),
        ("courier-sf", ["/console/courier/"], ["/console/worklist", "/console/dashboard"]),
        ("supervisor", ["/console/dashboard"], ["/console/admin/calendar"]),
        ("admin", ["/console/admin/staff", "/console/admin/catalog"], ["/console/courier/"]),
    ],
)
async def test_each_page_is_open_to_its_roles_only(
    console: AsyncTestClient[Any], username: str, allowed: list[str], refused: list[str]
) -> None:
    await sign_in(console, username)
    for path in allowed:
        assert (await console.get(path)).status_code == 200, path
    for path in refused:
        response = await console.get(path)
        assert response.status_code == 403, path
        assert "无权操作" in response.text


async def test_a_deactivated_account_is_signed_out_at_once(
    console: AsyncTestClient[Any], pool: asyncpg.Pool
) -> None:
    await sign_in(console, "eco-clerk")
    clerk_cookie = console.cookies["onewindow_console"]
    assert (await console.get("/console/worklist")).status_code == 200
    eco = await pool.fetchval("SELECT id FROM staff WHERE username = 'eco-clerk'")

    token = await sign_in(console, "admin")
    response = await console.post(
        f"/console/admin/staff/{eco}/deactivate", data={"_csrf_token": token}
    )
    assert response.status_code == 303
    assert (
        await pool.fetchval("SELECT count(*) FROM console_sessions WHERE staff_id = $1", eco) == 0
    )

    console.cookies.clear()
    console.cookies.set("onewindow_console", clerk_cookie, domain="127.0.0.1", path="/console")
    again = await console.get("/console/worklist")
    assert again.status_code == 303
    assert again.headers["location"] == "/console/login"
    token = token_in((await console.get("/console/login")).text)
    refused = await console.post(
        "/console/login",
        data={"username": "eco-clerk", "password": DEMO_PASSWORD, "_csrf_token": token},
    )
    assert refused.status_code == 401


async def test_a_moved_account_works_for_its_new_department_from_its_next_click(
    console: AsyncTestClient[Any],
    pool: asyncpg.Pool,
) -> None:
    app_id = await submit(console)
    await sign_in(console, "amr-clerk")
    clerk_cookie = console.cookies["onewindow_console"]
    assert (await console.get(f"/console/cases/{app_id}")).status_code == 200
    clerk = await pool.fetchval("SELECT id FROM staff WHERE username = 'amr-clerk'")
    token = await sign_in(console, "admin")
    moved = await console.post(
        f"/console/admin/staff/{clerk}/role",
        data={"role": "clerk", "department": "市公安局", "_csrf_token": token},
    )
    assert moved.status_code == 303
    console.cookies.clear()
    console.cookies.set("onewindow_console", clerk_cookie, domain="127.0.0.1", path="/console")
    assert (await console.get(f"/console/cases/{app_id}")).status_code == 404


async def test_admins_validate_staff_changes_and_cannot_lock_themselves_out(
    console: AsyncTestClient[Any],
    pool: asyncpg.Pool,
) -> None:
    token = await sign_in(console, "admin")
    bad = await console.post(
        "/console/admin/staff",
        data={"username": "x", "password": "short", "role": "clerk", "_csrf_token": token},
    )
    assert bad.status_code == 400
    assert "password" in bad.text
    assert "department" in bad.text
    admin = await pool.fetchval("SELECT id FROM staff WHERE username = 'admin'")
    myself = await console.post(
        f"/console/admin/staff/{admin}/deactivate", data={"_csrf_token": token}
    )
    assert myself.status_code == 409


async def test_personal_data_needs_a_reason_is_recorded_and_only_for_who_may_see_it(
    console: AsyncTestClient[Any],
    pool: asyncpg.Pool,
) -> None:
    app_id = await submit(console, courier=True)
    token = await sign_in(console, "amr-clerk")
    page = await console.get(f"/console/cases/{app_id}")
    assert "330102198001011234" not in page.text
    assert "13700137000" not in page.text
    url = f"/console/cases/{app_id}/personal"
    no_reason = await console.post(url, data={"reason": "", "_csrf_token": token})
    assert no_reason.status_code == 400
    assert await pool.fetchval("SELECT count(*) FROM personal_data_reveals") == 0
    shown = await console.post(url, data={"reason": "核对身份证号", "_csrf_token": token})
    assert shown.status_code == 200
    assert "330102198001011234" in shown.text
    assert "13700137000" in shown.text
    row = await pool.fetchrow("SELECT * FROM personal_data_reveals")
    assert row["staff_name"] == "amr-clerk"
    assert row["role"] == "clerk"
    assert row["department"] == "市市场监督管理局"
    assert row["fields"] == ["form", "delivery.address"]
    assert row["reason"] == "核对身份证号"
    assert str(row["application_id"]) == app_id

    token = await sign_in(console, "fire-clerk")  # a department in the case, not its lead
    refused = await console.post(url, data={"reason": "想看看", "_csrf_token": token})
    assert refused.status_code == 404
    token = await sign_in(console, "fire-reviewer")  # its step is not reached yet
    early = await console.post(url, data={"reason": "审查需要", "_csrf_token": token})
    assert early.status_code == 404
    for username, action, body in (
        ("amr-clerk", "accept", None),
        ("amr-reviewer", "review", {"decision": "approve"}),
    ):
        login = {"username": username, "password": "onewindow-demo"}
        bearer = (await console.post("/api/v1/auth/staff-login", json=login)).json()["token"]
        done = await console.post(
            f"/api/v1/admin/applications/{app_id}/{action}",
            json=body,
            headers={"Authorization": f"Bearer {bearer}"},
        )
        assert done.status_code == 200, done.text
    # the console reads the read model: wait until it has the review
    await console.get(
        f"/api/v1/applications/{app_id}?after={done.json()['position']}",
        headers=await citizen_headers(console),
    )
    token = await sign_in(console, "fire-reviewer")  # reviews a step now reached: may see it
    assert (await console.post(url, data={"reason": "审查需要", "_csrf_token": token})).is_success
    await sign_in(console, "supervisor")
    audit = await console.get(f"/console/cases/{app_id}")
    assert "核对身份证号" in audit.text
    assert "审查需要" in audit.text
    assert await pool.fetchval("SELECT count(*) FROM personal_data_reveals") == 2


async def test_console_pages_carry_a_csp_without_inline_scripts(
    console: AsyncTestClient[Any],
) -> None:
    await sign_in(console, "amr-clerk")
    missing = "/console/cases/00000000-0000-4000-8000-000000000000"  # the console's 404 page
    for path in ("/console/login", "/console/worklist", missing):
        response = await console.get(path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy, path
    assert response.status_code == 404
    assert "content-security-policy" not in (await console.get("/api/v1/services")).headers


async def test_wrong_passwords_back_off_like_the_api_login(
    console: AsyncTestClient[Any],
) -> None:
    token = token_in((await console.get("/console/login")).text)
    form = {"username": "amr-clerk", "password": "wrong", "_csrf_token": token}
    for _ in range(3):
        assert (await console.post("/console/login", data=form)).status_code == 401
    limited = await console.post("/console/login", data=form)
    assert limited.status_code == 429
    assert "尝试过于频繁" in limited.text
    assert int(limited.headers["retry-after"]) > 0


async def test_a_refused_action_shows_the_problem_in_the_page(
    console: AsyncTestClient[Any],
) -> None:
    app_id = await submit(console)
    token = await sign_in(console, "amr-clerk")
    htmx = {"HX-Request": "true", "X-CSRFToken": token}
    first = await console.post(f"/console/cases/{app_id}/act/accept", headers=htmx)
    assert first.status_code == 200
    assert "已受理" in first.text
    again = await console.post(f"/console/cases/{app_id}/act/accept", headers=htmx)
    assert again.status_code == 409
    assert again.headers["hx-retarget"] == "#problem"
    assert "当前状态不允许此操作" in again.text
    assert "办件当前为“已受理”，不能受理" in again.text
    assert "Traceback" not in again.text
    review = await console.post(
        f"/console/cases/{app_id}/act/review", headers=htmx, data={"decision": "approve"}
    )
    assert review.status_code == 403  # a clerk does not review, as in the API


@pytest.mark.parametrize(
    "query",
    ["submitted_from=yesterday", "page=first", "box=secret", "sort=drop%20table", "q=%00"],
)
async def test_bad_worklist_filters_are_a_400_page_never_a_500(
    console: AsyncTestClient[Any], query: str
) -> None:
    await sign_in(console, "amr-clerk")
    response = await console.get(f"/console/worklist?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(("text/html", "application/problem"))


async def test_the_worklist_searches_and_exports_the_list_as_csv(
    console: AsyncTestClient[Any],
    pool: asyncpg.Pool,
) -> None:
    app_id = await submit(console)
    number = await projected(pool, app_id)
    await sign_in(console, "amr-clerk")
    found = await console.get(f"/console/worklist?box=acceptance&q={number[-6:]}")
    assert number in found.text
    assert number not in (await console.get("/console/worklist?q=no-such-case")).text
    exported = await console.get(f"/console/worklist.csv?q={number}")
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("办件编号,事项,状态")
    assert lines[1].startswith(f"{number},食品经营许可,已提交，待受理")


async def test_signing_out_ends_the_session(console: AsyncTestClient[Any]) -> None:
    token = await sign_in(console, "amr-clerk")
    cookie = console.cookies["onewindow_console"]
    out = await console.post("/console/logout", data={"_csrf_token": token})
    assert out.status_code == 303
    console.cookies.set("onewindow_console", cookie, domain="127.0.0.1", path="/console")
    assert (await console.get("/console/worklist")).status_code == 303


async def test_serve_demo_leaves_work_for_the_window_and_a_stuck_case_once(
    db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=db_url, secret_key=SECRET)
    for _ in range(2):  # a restart makes no second set
        app = create_app(settings, demo=True, demo_cases=True)
        async with AsyncTestClient(app=app, base_url=BASE) as client:
            client.follow_redirects = False
            await sign_in(client, "supervisor")
            for _ in range(100):
                stuck = (await client.get("/console/stuck")).text
                if "QT00801" in stuck:
                    break
                await asyncio.sleep(0.05)
            assert "已超期" in stuck
            await sign_in(client, "amr-clerk")
            waiting = (await client.get("/console/worklist?box=acceptance")).text
            assert "XK00101" in waiting
    assert await pool.fetchval("SELECT count(*) FROM application_view") == 3


async def test_the_case_page_shows_each_certificate_verified_again_at_its_source(
    console: AsyncTestClient[Any],
) -> None:
    fake = console.app.state.services.certificates.fake  # type: ignore[attr-defined]
    citizen = await citizen_headers(console)
    first17 = "11010119900307009"
    number = first17 + id_check_digit(first17)
    declared = {"name": "钱七", "idNumber": number}
    assert (await console.put("/api/v1/me/identity", json=declared, headers=citizen)).is_success
    held = (await console.get("/api/v1/me/certificates?refresh=true", headers=citizen)).json()
    (id_card,) = [c for c in held if c["typeCode"] == ID_CARD]
    body = {
        "serviceCode": "GG-00901-000",
        "situationId": "registration",
        "materials": [
            {"materialId": "id-card", "certificateId": id_card["id"]},
            {"materialId": "marriage-certificate", "fileId": await upload(console, citizen)},
        ],
        "delivery": {"method": "pickup"},
    }
    response = await console.post("/api/v1/applications", json=body, headers=citizen)
    assert response.status_code == 201, response.text
    app_id = response.json()["id"]

    await sign_in(console, "health-clerk")
    page = (await console.get(f"/console/cases/{app_id}")).text
    shown = re.search(rf'data-certificate="{id_card["id"]}">(.*?)</span>\s*</td>', page, re.S)
    assert shown is not None, page
    assert f"电子证照 居民身份证 {number}" in shown.group(1)
    assert "核验（电子证照平台" in shown.group(1)
    assert '<span class="chip">有效</span>' in shown.group(1)

    fake.revoke(number, "证件已挂失")
    page = (await console.get(f"/console/cases/{app_id}")).text
    shown = re.search(rf'data-certificate="{id_card["id"]}">(.*?)</span>\s*</td>', page, re.S)
    assert shown is not None
    assert "已吊销/注销" in shown.group(1)
    assert "证件已挂失" in shown.group(1)


async def test_a_clerk_answers_a_consultation_from_a_template_and_forwards_another_in_the_console(
    console: AsyncTestClient[Any],
) -> None:
    citizen = await citizen_headers(console)
    asked = await console.post(
        "/api/v1/consultations",
        json={"serviceCode": FOOD, "question": "开面馆要办食品经营许可证吗？多久能办好？"},
        headers=citizen,
    )
    assert asked.status_code == 201, asked.text
    cid, after = asked.json()["id"], asked.json()["position"]
    token = await sign_in(console, "amr-clerk")

    worklist = await console.get(f"/console/worklist?after={after}")
    assert 'data-box="consultations">咨询' in worklist.text
    queue = await console.get(f"/console/consultations?after={after}")
    assert queue.status_code == 200, queue.text
    assert f'href="/console/consultations/{cid}"' in queue.text
    assert "开面馆要办食品经营许可证吗" in queue.text

    thread = await console.get(f"/console/consultations/{cid}?after={after}")
    assert thread.status_code == 200, thread.text
    offered = re.findall(r'data-template="([^"]+)"', thread.text)
    assert offered, "the item's FAQs are offered as reply templates"
    drafted = await console.get(f"/console/consultations/{cid}?template={offered[0]}")
    assert re.search(r'<textarea name="text"[^>]*>[^<]+</textarea>', drafted.text)

    htmx = {"HX-Request": "true", "X-CSRFToken": token}
    replied = await console.post(
        f"/console/consultations/{cid}/reply",
        headers=htmx,
        data={
            "text": "需要办理食品经营许可证，承诺20个工作日办结。",
            "basis_name": "食品经营许可和备案管理办法",
        },
    )
    assert replied.status_code == 200, replied.text
    assert "答复已发送给群众" in replied.text
    assert 'id="thread"' in replied.text
    assert "<html" not in replied.text  # only the part htmx swaps
    position = await console.get(f"/api/v1/consultations/{cid}", headers=citizen)
    staff_says = [m for m in position.json()["messages"] if m["from"] == "staff"]
    assert [m["text"] for m in staff_says] == ["需要办理食品经营许可证，承诺20个工作日办结。"]
    assert staff_says[0]["legalBasis"]["name"] == "食品经营许可和备案管理办法"

    other = await console.post(
        "/api/v1/consultations",
        json={"serviceCode": FOOD, "question": "营业执照的地址写错了怎么改？"},
        headers=citizen,
    )
    oid = other.json()["id"]
    forwarded = await console.post(
        f"/console/consultations/{oid}/forward",
        headers={"X-CSRFToken": token},
        data={"department": "市公安局", "reason": "测试转办"},
    )
    assert forwarded.status_code == 303  # without htmx: back to the queue, after the write
    assert forwarded.headers["location"].startswith("/console/consultations?after=")
    mine = await console.get(forwarded.headers["location"])
    assert f"/console/consultations/{oid}" not in mine.text  # it left the department
    refused = await console.post(
        f"/console/consultations/{oid}/reply", headers=htmx, data={"text": "我们来答"}
    )
    assert refused.status_code == 404
    assert refused.headers["hx-retarget"] == "#problem"
    await sign_in(console, "police-clerk")
    theirs = await console.get(f"/console/consultations/{oid}")
    assert theirs.status_code == 200, theirs.text
    assert "转办记录" in theirs.text
    assert "测试转办" in theirs.text
    assert "发送答复" in theirs.text  # now theirs to answer
