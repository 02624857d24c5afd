"""Who may do what, over HTTP: 401 without a valid token, 403 for the wrong role, 404 for what is
not yours (never 403, so nothing leaks), and work queues scoped to the department."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.db.url import with_database
from backend.settings import Settings
from tests.conftest import TEMPLATE
from tests.e2e.conftest import citizen_headers, required_materials, staff_headers, upload

SECRET = "test-secret-key-that-is-long-enough-for-hs256"
FOOD = "XK-00101-000"  # 食品经营许可: AMR accepts; stages AMR -> (health || fire) -> AMR
AMR, HEALTH, FIRE = "市市场监督管理局", "市卫生健康委员会", "市消防救援支队"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
PROBLEM = "application/problem+json"

Headers = dict[str, str]
StaffLogin = Callable[[str], Awaitable[Headers]]


@pytest.fixture(scope="module")
async def client(
    server_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncTestClient[Any]]:
    """One app for the module: starting one costs seconds (argon2 hashes of the demo staff).
    Every test makes its own citizens and applications, so they do not interfere."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await admin.close()
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("access")),
        database_url=with_database(server_url, name),
        secret_key=SECRET,
    )
    async with AsyncTestClient(app=create_app(settings, demo=True)) as test_client:
        yield test_client
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def as_staff(client: httpx.AsyncClient) -> StaffLogin:
    """Demo staff headers, each logged in once per module."""
    cache: dict[str, Headers] = {}

    async def login(username: str) -> Headers:
        if username not in cache:
            cache[username] = await staff_headers(client, username)
        return cache[username]

    return login


async def submit_food(client: httpx.AsyncClient, citizen: Headers) -> dict[str, Any]:
    """A fresh 食品经营许可 application, visible in the read model when this returns."""
    guide = (await client.get(f"/api/v1/services/{FOOD}")).json()
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in required_materials(guide, "new")
    ]
    body = {
        "serviceCode": FOOD,
        "situationId": "new",
        "form": {"shopName": "老王面馆"},
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    response = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert response.status_code == 201, response.text
    app: dict[str, Any] = response.json()
    await status_after(client, citizen, app["id"], app["position"])
    return app


async def status_after(
    client: httpx.AsyncClient, citizen: Headers, app_id: str, position: int
) -> str:
    """The application's status once the read model has reached ``position``."""
    response = await client.get(f"/api/v1/applications/{app_id}?after={position}", headers=citizen)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def queue_ids(client: httpx.AsyncClient, headers: Headers, queue: str) -> list[str]:
    response = await client.get(f"/api/v1/admin/worklist?queue={queue}&limit=200", headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code


# --- 401: no token, a bad token, an expired token ---------------------------------------------

PROTECTED = [
    ("POST", "/api/v1/applications"),
    ("GET", "/api/v1/applications"),
    ("GET", f"/api/v1/applications/{UNKNOWN}"),
    ("POST", f"/api/v1/applications/{UNKNOWN}/withdraw"),
    ("POST", "/api/v1/files"),
    ("GET", "/api/v1/admin/worklist"),
    ("GET", "/api/v1/admin/worklist?queue=acceptance"),
    ("POST", f"/api/v1/admin/applications/{UNKNOWN}/accept"),
    ("POST", f"/api/v1/admin/applications/{UNKNOWN}/review"),
    ("POST", f"/api/v1/admin/applications/{UNKNOWN}/issue-result"),
    ("GET", f"/api/v1/admin/applications/{UNKNOWN}/history"),
]
ADMIN_ROUTES = [(m, p) for m, p in PROTECTED if p.startswith("/api/v1/admin/")]
# bodies that would be valid, so that only the missing credentials can be the reason
BODIES: dict[str, dict[str, Any]] = {
    "/withdraw": {"reason": "不办了"},
    "/review": {"decision": "approve", "opinion": "同意"},
    "/issue-result": {"documentNo": "JY1"},
}


async def call(
    client: httpx.AsyncClient, method: str, path: str, headers: Headers | None = None
) -> httpx.Response:
    body = next((b for suffix, b in BODIES.items() if path.endswith(suffix)), None)
    if method == "GET":
        return await client.get(path, headers=headers)
    return await client.post(path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_protected_route_answers_401_without_a_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert_problem(await call(client, method, path), 401, "unauthenticated")


async def test_a_garbage_or_foreign_token_is_401(client: httpx.AsyncClient) -> None:
    citizen_id = str(uuid.uuid4())
    now = int(time.time())
    claims = {"sub": citizen_id, "role": "citizen", "iat": now, "exp": now + 600}
    tokens = [
        "garbage",
        "a.b.c",
        jwt.encode(claims, "another-secret-key-that-is-long-enough-for-hs256", algorithm="HS256"),
        jwt.encode(claims, key=None, algorithm="none"),  # type: ignore[arg-type]
        jwt.encode({**claims, "exp": None}, SECRET, algorithm="HS256"),
    ]
    for token in tokens:
        response = await client.get("/api/v1/applications", headers=bearer(token))
        assert_problem(response, 401, "unauthenticated")
    basic = await client.get("/api/v1/applications", headers={"Authorization": "Basic dTpw"})
    assert_problem(basic, 401, "unauthenticated")


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_signed_with_the_app_secret_works_until_it_expires(
    client: httpx.AsyncClient,
) -> None:
    login = await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-expiry"})
    citizen_id = login.json()["citizenId"]
    now = int(time.time())
    fresh = jwt.encode(
        {"sub": citizen_id, "role": "citizen", "iat": now, "exp": now + 600},
        SECRET,
        algorithm="HS256",
    )
    expired = jwt.encode(
        {"sub": citizen_id, "role": "citizen", "iat": now - 7200, "exp": now - 3600},
        SECRET,
        algorithm="HS256",
    )

    assert (await client.get("/api/v1/applications", headers=bearer(fresh))).status_code == 200
    response = await client.get("/api/v1/applications", headers=bearer(expired))
    assert_problem(response, 401, "unauthenticated")
    assert "登录已过期" in response.json()["detail"]


# --- 403: the wrong role ----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_a_citizen_calling_an_operator_route_gets_403(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    citizen = await citizen_headers(client)
    assert_problem(await call(client, method, path, citizen), 403, "forbidden")


@pytest.mark.parametrize("username", ["amr-clerk", "amr-reviewer", "supervisor", "courier-sf"])
async def test_staff_calling_citizen_routes_get_403(
    client: httpx.AsyncClient, as_staff: StaffLogin, username: str
) -> None:
    headers = await as_staff(username)
    submitted = await client.post(
        "/api/v1/applications",
        json={
            "serviceCode": FOOD,
            "situationId": "new",
            "materials": [],
            "delivery": {"method": "pickup"},
        },
        headers=headers,
    )
    assert_problem(submitted, 403, "forbidden")
    assert_problem(await client.get("/api/v1/applications", headers=headers), 403, "forbidden")


async def test_operators_are_held_to_their_roles_action(
    client: httpx.AsyncClient, as_staff: StaffLogin
) -> None:
    app = await submit_food(client, await citizen_headers(client))
    base = f"/api/v1/admin/applications/{app['id']}"
    reviewer, clerk = await as_staff("amr-reviewer"), await as_staff("amr-clerk")
    courier = await as_staff("courier-sf")

    assert_problem(await call(client, "POST", f"{base}/accept", reviewer), 403, "forbidden")
    assert_problem(await call(client, "POST", f"{base}/issue-result", reviewer), 403, "forbidden")
    assert_problem(await call(client, "POST", f"{base}/review", clerk), 403, "forbidden")
    assert_problem(await call(client, "GET", f"{base}/history", courier), 403, "forbidden")
    assert_problem(await call(client, "GET", "/api/v1/admin/worklist", courier), 403, "forbidden")


# --- 404: not yours ---------------------------------------------------------------------------


async def test_another_citizen_gets_404_for_my_application_never_403(
    client: httpx.AsyncClient,
) -> None:
    mine, theirs = await citizen_headers(client), await citizen_headers(client)
    app = await submit_food(client, mine)
    unknown = await client.get(f"/api/v1/applications/{uuid.uuid4()}", headers=theirs)
    assert_problem(unknown, 404, "not_found")

    read = await client.get(f"/api/v1/applications/{app['id']}", headers=theirs)
    waited = await client.get(
        f"/api/v1/applications/{app['id']}?after={app['position']}", headers=theirs
    )
    withdrawn = await client.post(
        f"/api/v1/applications/{app['id']}/withdraw", json={"reason": "恶作剧"}, headers=theirs
    )

    for response in (read, waited, withdrawn):
        assert_problem(response, 404, "not_found")
        assert response.json()["detail"] == unknown.json()["detail"]  # nothing tells them apart
    listed = (await client.get("/api/v1/applications", headers=theirs)).json()
    assert app["id"] not in [a["id"] for a in listed]
    assert await status_after(client, mine, app["id"], app["position"]) == "submitted"


async def test_an_unrelated_department_gets_404_for_reading_or_acting(
    client: httpx.AsyncClient, as_staff: StaffLogin
) -> None:
    app = await submit_food(client, await citizen_headers(client))
    base = f"/api/v1/admin/applications/{app['id']}"
    civil_reviewer, civil_clerk = await as_staff("civil-reviewer"), await as_staff("civil-clerk")
    unknown = await client.get(
        f"/api/v1/admin/applications/{uuid.uuid4()}/history", headers=civil_clerk
    )
    assert_problem(unknown, 404, "not_found")

    responses = [
        await call(client, "GET", f"{base}/history", civil_reviewer),
        await call(client, "POST", f"{base}/review", civil_reviewer),
        await call(client, "GET", f"{base}/history", civil_clerk),
        await call(client, "POST", f"{base}/accept", civil_clerk),
    ]

    for response in responses:
        assert_problem(response, 404, "not_found")
        assert response.json()["detail"] == unknown.json()["detail"]
    amr_clerk = await as_staff("amr-clerk")
    history = (await call(client, "GET", f"{base}/history", amr_clerk)).json()
    assert [e["type"] for e in history] == ["Submitted"]  # nothing was done by them


async def test_a_later_stages_department_sees_nothing_of_a_case_before_its_stage_is_reached(
    client: httpx.AsyncClient, as_staff: StaffLogin
) -> None:
    citizen = await citizen_headers(client)
    app = await submit_food(client, citizen)
    base = f"/api/v1/admin/applications/{app['id']}"
    health_clerk = await as_staff("health-clerk")
    health_reviewer = await as_staff("health-reviewer")

    # still at the lead department's window: neither reading nor writing notes nor accepting
    assert_problem(await call(client, "GET", f"{base}/history", health_clerk), 404, "not_found")
    note = await client.post(f"{base}/notes", json={"text": "看看"}, headers=health_reviewer)
    assert_problem(note, 404, "not_found")
    assert_problem(await call(client, "POST", f"{base}/accept", health_clerk), 404, "not_found")
    progress = await call(client, "GET", f"/api/v1/applications/{app['id']}", health_clerk)
    assert progress.status_code in (403, 404)

    amr_reviewer = await as_staff("amr-reviewer")
    accepted = await call(client, "POST", f"{base}/accept", await as_staff("amr-clerk"))
    assert accepted.status_code == 200, accepted.text
    assert_problem(await call(client, "GET", f"{base}/history", health_clerk), 404, "not_found")
    approved = await client.post(
        f"{base}/review", json={"decision": "approve"}, headers=amr_reviewer
    )
    assert approved.status_code == 200, approved.text
    # its stage is reached: now it is the health department's case too
    assert (await call(client, "GET", f"{base}/history", health_clerk)).status_code == 200
    position = approved.json()["position"]
    assert await status_after(client, citizen, app["id"], position) == "under_review"
    listed = await queue_ids(client, health_reviewer, "review")
    assert app["id"] in listed


async def test_a_supervisor_sees_every_departments_applications(
    client: httpx.AsyncClient, as_staff: StaffLogin
) -> None:
    app = await submit_food(client, await citizen_headers(client))
    supervisor = await as_staff("supervisor")

    history = await call(
        client, "GET", f"/api/v1/admin/applications/{app['id']}/history", supervisor
    )
    assert history.status_code == 200, history.text
    assert history.json()[0]["type"] == "Submitted"
    assert app["id"] in await queue_ids(client, supervisor, "acceptance")


# --- work queues ------------------------------------------------------------------------------


async def test_work_queues_show_an_application_to_the_departments_whose_turn_it_is(
    client: httpx.AsyncClient, as_staff: StaffLogin
) -> None:
    citizen = await citizen_headers(client)
    app = await submit_food(client, citizen)
    app_id, base = app["id"], f"/api/v1/admin/applications/{app['id']}"
    amr_clerk, civil_clerk = await as_staff("amr-clerk"), await as_staff("civil-clerk")
    health_clerk = await as_staff("health-clerk")
    reviewers = {d: await as_staff(f"{d}-reviewer") for d in ("amr", "health", "fire")}
    approve = {"decision": "approve", "opinion": "同意"}

    assert app_id in await queue_ids(client, amr_clerk, "acceptance")
    assert app_id not in await queue_ids(client, civil_clerk, "acceptance")
    assert app_id not in await queue_ids(client, health_clerk, "acceptance")

    accepted = await client.post(f"{base}/accept", headers=amr_clerk)
    assert accepted.status_code == 200, accepted.text
    first = await client.post(f"{base}/review", json=approve, headers=reviewers["amr"])
    assert first.status_code == 200, first.text
    assert await status_after(client, citizen, app_id, first.json()["position"]) == "under_review"

    assert app_id not in await queue_ids(client, amr_clerk, "acceptance")
    assert app_id in await queue_ids(client, reviewers["health"], "review")
    assert app_id in await queue_ids(client, reviewers["fire"], "review")
    assert app_id not in await queue_ids(client, reviewers["amr"], "review")

    for department in ("health", "fire"):
        done = await client.post(f"{base}/review", json=approve, headers=reviewers[department])
        assert done.status_code == 200, done.text
    await status_after(client, citizen, app_id, done.json()["position"])

    # stage 3 is AMR's again
    assert app_id in await queue_ids(client, reviewers["amr"], "review")
    assert app_id not in await queue_ids(client, reviewers["health"], "review")
    assert app_id not in await queue_ids(client, reviewers["fire"], "review")
