"""Staff access is revocable at once: a deactivated account's bearer token is refused and a
moved account reads its new department only, within a second and in every API process; a
logged-out token is refused everywhere; admins manage accounts through the API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.settings import Settings
from tests.e2e.conftest import SECRET, citizen_headers, required_materials, staff_headers, upload

BENEFIT = "GF-00301-000"  # 失业保险金申领, at 市人力资源和社会保障局


@contextlib.asynccontextmanager
async def second_process(db_url: str, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    """Another API process on the same database (its own caches)."""
    settings = Settings(
        data_dir=tmp_path / "second", database_url=db_url, secret_key=SECRET, run_workers=False
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def within_a_second(check: Any) -> float:
    """How long until ``check()`` holds (it must within 1.5 s)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(1.5):
        while True:
            if await check():
                return loop.time() - started
            await asyncio.sleep(0.05)


async def submitted_benefit(client: httpx.AsyncClient) -> str:
    citizen = await citizen_headers(client)
    guide = (await client.get(f"/api/v1/services/{BENEFIT}")).json()
    materials = [
        {"materialId": m, "fileId": await upload(client, citizen)}
        for m in required_materials(guide, "self")
    ]
    body = {
        "serviceCode": BENEFIT,
        "situationId": "self",
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    response = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert response.status_code == 201, response.text
    app_id: str = response.json()["id"]
    return app_id


async def test_a_deactivated_accounts_token_is_refused_within_a_second_everywhere(
    client: httpx.AsyncClient, db_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    clerk = await staff_headers(client, "hrss-clerk")
    async with second_process(db_url, tmp_path) as other:
        for api in (client, other):
            assert (await api.get("/api/v1/admin/worklist", headers=clerk)).status_code == 200
        # what an operator did by hand in the red-team pass
        await pool.execute("UPDATE staff SET active = false WHERE username = 'hrss-clerk'")

        async def refused_everywhere() -> bool:
            answers = [
                await api.get("/api/v1/admin/worklist", headers=clerk) for api in (client, other)
            ]
            return all(a.status_code == 401 for a in answers)

        await within_a_second(refused_everywhere)
        answer = await other.get("/api/v1/admin/worklist", headers=clerk)
        assert answer.json()["code"] == "unauthenticated"


async def test_a_clerk_moved_to_another_department_stops_reading_the_old_ones_cases(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    app_id = await submitted_benefit(client)
    clerk = await staff_headers(client, "hrss-clerk")
    case = f"/api/v1/admin/applications/{app_id}/history"
    assert (await client.get(case, headers=clerk)).status_code == 200
    await pool.execute("UPDATE staff SET department = '市民政局' WHERE username = 'hrss-clerk'")

    async def not_found() -> bool:
        return (await client.get(case, headers=clerk)).status_code == 404

    await within_a_second(not_found)
    accepted = await client.post(f"/api/v1/admin/applications/{app_id}/accept", headers=clerk)
    assert accepted.status_code == 404  # nor act on them


async def test_a_logged_out_token_is_refused_in_every_process_and_a_new_login_works(
    client: httpx.AsyncClient, db_url: str, tmp_path: Path
) -> None:
    clerk = await staff_headers(client, "amr-clerk")
    citizen = await citizen_headers(client)
    async with second_process(db_url, tmp_path) as other:
        assert (await other.get("/api/v1/admin/worklist", headers=clerk)).status_code == 200
        for token, probe in ((clerk, "/api/v1/admin/worklist"), (citizen, "/api/v1/applications")):
            out = await client.post("/api/v1/auth/logout", headers=token)
            assert out.status_code == 204, out.text

            async def refused(probe: str = probe, token: dict[str, str] = token) -> bool:
                answers = [await api.get(probe, headers=token) for api in (client, other)]
                return all(a.status_code == 401 for a in answers)

            await within_a_second(refused)
        fresh = await staff_headers(client, "amr-clerk")
        assert (await other.get("/api/v1/admin/worklist", headers=fresh)).status_code == 200
    assert (await client.post("/api/v1/auth/logout")).status_code == 401


async def test_admins_create_move_and_deactivate_accounts_through_the_api(
    client: httpx.AsyncClient,
) -> None:
    admin = await staff_headers(client, "admin")
    made = await client.post(
        "/api/v1/admin/staff",
        json={
            "username": "new-clerk",
            "password": "a-long-password",
            "role": "clerk",
            "department": "市民政局",
        },
        headers=admin,
    )
    assert made.status_code == 201, made.text
    staff_id = made.json()["id"]
    login = {"username": "new-clerk", "password": "a-long-password"}
    token = (await client.post("/api/v1/auth/staff-login", json=login)).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    moved = await client.patch(
        f"/api/v1/admin/staff/{staff_id}",
        json={"role": "reviewer", "department": "市民政局"},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["role"] == "reviewer"
    # a reviewer may not accept: the token's old role no longer counts
    refused = await client.post(f"/api/v1/admin/applications/{staff_id}/accept", headers=headers)
    assert refused.status_code == 403
    closed = await client.post(f"/api/v1/admin/staff/{staff_id}/deactivate", headers=admin)
    assert closed.status_code == 200, closed.text
    assert closed.json()["active"] is False
    assert (await client.get("/api/v1/admin/worklist", headers=headers)).status_code == 401
    assert (await client.post("/api/v1/auth/staff-login", json=login)).status_code == 401
    clerk = await staff_headers(client, "amr-clerk")
    assert (await client.get("/api/v1/admin/staff", headers=clerk)).status_code == 403
