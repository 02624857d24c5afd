"""Rate limits over HTTP: 429 ``rate_limited`` with Retry-After, per citizen, per IP and per
username, reset by the next window, and shared by API processes through the database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.clock import system_clock
from backend.ratelimit import RateLimits, Rule
from backend.settings import Settings
from tests.e2e.conftest import DEMO_PASSWORD, PNG, SECRET, citizen_headers

WINDOW = 60


class FrozenClock:
    """The app's clock, standing at the start of the current window until moved on (never ahead
    of real time when tokens are issued: they would not be valid yet)."""

    def __init__(self) -> None:
        now = system_clock()
        self.now = now - timedelta(seconds=now.timestamp() % WINDOW)

    def __call__(self) -> datetime:
        return self.now


@contextlib.asynccontextmanager
async def api(
    db_url: str, data_dir: Path, clock: FrozenClock, limits: RateLimits
) -> AsyncIterator[AsyncTestClient[Any]]:
    """One API process on the test's database."""
    settings = Settings(
        data_dir=data_dir, database_url=db_url, secret_key=SECRET, rate_limits=limits
    )
    async with AsyncTestClient(app=create_app(settings, clock=clock)) as client:
        yield client


async def upload(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post(
        "/api/v1/files", files={"file": ("scan.png", PNG, "image/png")}, headers=headers
    )


def assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= WINDOW


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


async def test_a_citizens_creating_posts_are_limited_per_citizen_until_the_next_window(
    db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    limits = RateLimits(create_per_citizen=Rule(3, WINDOW))
    async with api(db_url, tmp_path, clock, limits) as client:
        wang, li = await citizen_headers(client), await citizen_headers(client)
        for _ in range(3):
            assert (await upload(client, wang)).status_code == 201
        assert_limited(await upload(client, wang))
        # every creating POST draws on the same allowance, before its body is even checked
        assert_limited(await client.post("/api/v1/applications", json={}, headers=wang))
        assert_limited(await client.post("/api/v1/appointments", json={}, headers=wang))
        # another citizen is not affected
        assert (await upload(client, li)).status_code == 201
        # reading is not limited
        assert (await client.get("/api/v1/applications", headers=wang)).status_code == 200

        clock.now += timedelta(seconds=WINDOW)
        assert (await upload(client, wang)).status_code == 201


async def test_logins_are_limited_per_username_and_per_client_address(
    db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    limits = RateLimits(login_per_ip=Rule(5, WINDOW), login_per_username=Rule(2, WINDOW))
    async with api(db_url, tmp_path, clock, limits) as client:

        async def staff_login(username: str, password: str) -> httpx.Response:
            body = {"username": username, "password": password}
            return await client.post("/api/v1/auth/staff-login", json=body)

        assert (await staff_login("amr-clerk", "guess-1")).status_code == 401
        assert (await staff_login("amr-clerk", "guess-2")).status_code == 401
        # the right password no longer helps: this username is locked for the window
        assert_limited(await staff_login("amr-clerk", DEMO_PASSWORD))
        assert (await staff_login("supervisor", DEMO_PASSWORD)).status_code == 200
        # five logins from this address in the window, WeChat logins included
        wechat = await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-zhao"})
        assert wechat.status_code == 200
        assert_limited(await staff_login("admin", DEMO_PASSWORD))
        assert_limited(await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-x"}))

        clock.now += timedelta(seconds=WINDOW)
        assert (await staff_login("amr-clerk", DEMO_PASSWORD)).status_code == 200


async def test_two_api_processes_on_one_database_share_the_counts(
    db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    limits = RateLimits(create_per_citizen=Rule(4, WINDOW))
    async with (
        api(db_url, tmp_path / "a", clock, limits) as first,
        api(db_url, tmp_path / "b", clock, limits) as second,
    ):
        citizen = await citizen_headers(first, "shared")
        for client in (first, second, first, second):
            assert (await upload(client, citizen)).status_code == 201
        assert_limited(await upload(first, citizen))
        assert_limited(await upload(second, citizen))
