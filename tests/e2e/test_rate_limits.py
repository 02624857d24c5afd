"""Rate limits over HTTP: 429 ``rate_limited`` with Retry-After, per citizen and per client
address, reset by the next window, shared by API processes through the database; wrong staff
passwords slow down only the (username, client) that typed them."""

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
        for _ in range(3):  # counted before the body is even checked (these are 400s)
            refused = await client.post("/api/v1/applications", json={}, headers=wang)
            assert refused.status_code == 400, refused.text
        assert_limited(await client.post("/api/v1/applications", json={}, headers=wang))
        # every creating POST draws on the same allowance
        assert_limited(await client.post("/api/v1/appointments", json={}, headers=wang))
        # uploads have their own allowance: the pages of a submission do not use this one up
        assert (await upload(client, wang)).status_code == 201
        # another citizen is not affected
        assert (await client.post("/api/v1/applications", json={}, headers=li)).status_code == 400
        # reading is not limited
        assert (await client.get("/api/v1/applications", headers=wang)).status_code == 200

        clock.now += timedelta(seconds=WINDOW)
        assert (await client.post("/api/v1/applications", json={}, headers=wang)).status_code == 400


async def test_uploads_are_limited_on_their_own_and_leave_submitting_possible(
    db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    limits = RateLimits(create_per_citizen=Rule(2, WINDOW), upload_per_citizen=Rule(3, WINDOW))
    async with api(db_url, tmp_path, clock, limits) as client:
        wang = await citizen_headers(client)
        for _ in range(3):
            assert (await upload(client, wang)).status_code == 201
        assert_limited(await upload(client, wang))
        # the submission after many uploads is still within its own allowance
        assert (await client.post("/api/v1/applications", json={}, headers=wang)).status_code == 400
        clock.now += timedelta(seconds=WINDOW)
        assert (await upload(client, wang)).status_code == 201


async def test_logins_are_limited_per_client_address(
    db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    limits = RateLimits(login_per_ip=Rule(3, WINDOW))
    async with api(db_url, tmp_path, clock, limits) as client:
        for username in ("amr-clerk", "supervisor"):
            body = {"username": username, "password": DEMO_PASSWORD}
            assert (await client.post("/api/v1/auth/staff-login", json=body)).status_code == 200
        wechat = await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-zhao"})
        assert wechat.status_code == 200
        # three logins from this address in the window, WeChat logins included
        assert_limited(await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-x"}))
        clock.now += timedelta(seconds=WINDOW)
        wechat = await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-x"})
        assert wechat.status_code == 200


class Peers:
    """The app behind a stand-in for the network: each request arrives from the TCP peer its
    test names in ``x-test-peer`` (the test client itself always connects as one peer)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            peer = headers.pop(b"x-test-peer", None)
            if peer is not None:
                scope = {
                    **scope,
                    "client": (peer.decode(), 40000),
                    "headers": list(headers.items()),
                }
        await self.app(scope, receive, send)


@contextlib.asynccontextmanager
async def peers(settings: Settings, clock: FrozenClock) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=Peers(create_app(settings, clock=clock))) as client:
        yield client


async def staff_login(
    client: httpx.AsyncClient, username: str, password: str, peer: str = "", **headers: str
) -> httpx.Response:
    body = {"username": username, "password": password}
    if peer:
        headers["x-test-peer"] = peer
    return await client.post("/api/v1/auth/staff-login", json=body, headers=headers)


def settings_for(db_url: str, tmp_path: Path, **more: Any) -> Settings:
    limits = RateLimits(login_per_ip=Rule(0))
    return Settings(
        data_dir=tmp_path, database_url=db_url, secret_key=SECRET, rate_limits=limits, **more
    )


async def test_wrong_passwords_from_rotating_forwarded_addresses_never_lock_the_real_user_out(
    db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    attacker, clerk = "203.0.113.66", "198.51.100.7"
    async with peers(settings_for(db_url, tmp_path), clock) as client:
        # X-Forwarded-For from a peer that is no trusted proxy is not believed: every guess
        # counts against the attacker's own address, which soon has to wait
        refused = []
        for i in range(12):
            forged = {"x-forwarded-for": f"10.0.{i}.{i}"}
            guess = await staff_login(client, "amr-clerk", f"guess-{i}", attacker, **forged)
            refused.append(guess)
        assert [r.status_code for r in refused[:5]] == [401] * 5
        assert_limited(refused[5])
        assert all(r.status_code == 429 for r in refused[5:])
        # the clerk at their own desk logs in at once with the right password
        assert (await staff_login(client, "amr-clerk", DEMO_PASSWORD, clerk)).status_code == 200
        # the attacker still waits, even with the right password
        assert_limited(await staff_login(client, "amr-clerk", DEMO_PASSWORD, attacker))


async def test_the_back_off_doubles_and_ends_and_the_right_password_clears_it(
    db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    async with peers(settings_for(db_url, tmp_path), clock) as client:
        for i in range(5):  # the free attempts
            assert (await staff_login(client, "supervisor", f"typo-{i}")).status_code == 401
        waits = []
        for i in range(3):
            blocked = await staff_login(client, "supervisor", "typo")
            assert_limited(blocked)
            waits.append(int(blocked.headers["Retry-After"]))
            clock.now += timedelta(seconds=waits[-1])
            assert (await staff_login(client, "supervisor", f"again-{i}")).status_code == 401
        assert waits == [1, 2, 4]
        clock.now += timedelta(seconds=8)
        assert (await staff_login(client, "supervisor", DEMO_PASSWORD)).status_code == 200
        assert (await staff_login(client, "supervisor", "one-typo")).status_code == 401
        assert (await staff_login(client, "supervisor", DEMO_PASSWORD)).status_code == 200


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_back_off(
    db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    proxy = "192.0.2.10"
    settings = settings_for(db_url, tmp_path, trusted_proxies=(proxy,))
    async with peers(settings, clock) as client:
        guesser = {"x-forwarded-for": "203.0.113.9"}
        for i in range(5):
            assert (
                await staff_login(client, "admin", f"x{i}", proxy, **guesser)
            ).status_code == 401
        assert_limited(await staff_login(client, "admin", "x", proxy, **guesser))
        # a client may prepend anything; the address the proxy saw is the right-most one
        spoofed = {"x-forwarded-for": "198.51.100.1, 203.0.113.9"}
        assert_limited(await staff_login(client, "admin", DEMO_PASSWORD, proxy, **spoofed))
        honest = {"x-forwarded-for": "198.51.100.1"}
        assert (
            await staff_login(client, "admin", DEMO_PASSWORD, proxy, **honest)
        ).status_code == 200


async def test_wrong_passwords_for_one_username_from_many_clients_raise_the_spraying_alarm(
    db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    async with peers(settings_for(db_url, tmp_path), clock) as client:
        for i in range(6):
            sprayed_from = f"203.0.113.{i + 1}"
            assert (
                await staff_login(client, "admin", f"spray-{i}", sprayed_from)
            ).status_code == 401
        metrics = (await client.get("/metrics")).text
        sprayed = next(
            line for line in metrics.splitlines() if line.startswith("onewindow_login_spraying")
        )
        assert float(sprayed.split()[-1]) >= 2  # the fifth and the sixth client


async def test_two_api_processes_on_one_database_share_the_counts(
    db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    limits = RateLimits(upload_per_citizen=Rule(4, WINDOW))
    async with (
        api(db_url, tmp_path / "a", clock, limits) as first,
        api(db_url, tmp_path / "b", clock, limits) as second,
    ):
        citizen = await citizen_headers(first, "shared")
        for client in (first, second, first, second):
            assert (await upload(client, citizen)).status_code == 201
        assert_limited(await upload(first, citizen))
        assert_limited(await upload(second, citizen))
