"""Browser tests of the operator console: Playwright (async API, on the test session's event
loop) driving Debian's Chromium against the app served by uvicorn on 127.0.0.1.

One server for the browser tests, on its own copy of the demo database; every test makes its own
applications through the JSON API (the citizen's side) and works them in the browser.
``ONEWINDOW_SCREENSHOTS=docs/console`` (``make screenshots``) writes a PNG of each page.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import struct
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import expect

from backend.app import create_app
from backend.clock import system_clock
from backend.jobs import watch
from backend.ratelimit import RateLimits, Rule
from backend.read_side import wait_for_position
from backend.services import Services
from backend.settings import Settings
from backend.settings.couriers import CourierSettings
from domain.calendar import CST
from tests.conftest import scratch_database
from tests.e2e.conftest import DEMO_PASSWORD, SECRET, demo_template

# assertions on pages wait this long (a loaded CI machine renders slowly; a pass is at once)
expect.set_options(timeout=15_000)

__all__ = ["Site", "demo_template"]

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium would otherwise try Google's update and account hosts; only loopback here
CHROMIUM_ARGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--disable-gpu",
    "--disable-quic",
    "--lang=zh-CN",  # date inputs and the like in Chinese
]
PUSH_TOKEN = "browser-push-token"
SHOTS = os.environ.get("ONEWINDOW_SCREENSHOTS")
ADDRESS = {
    "name": "李四",
    "phone": "13900139000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路100号",
}
Headers = dict[str, str]

pytestmark = pytest.mark.browser


def png(width: int = 160, height: int = 100) -> bytes:
    """A real PNG (a scan-like pattern), so that a browser can show it."""
    rows = b"".join(
        b"\x00"
        + b"".join(
            bytes((230 - (x // 8 % 2) * 40, 235, 245 - (y // 10 % 2) * 60)) for x in range(width)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class FakeClock:
    """The system clock until a test sets a moment (China time)."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def __call__(self) -> datetime:
        return self.now or system_clock()

    def set(self, day: date, hour: int = 10) -> None:
        self.now = datetime.combine(day, time(hour), CST)


class Site:
    """The served app, an API client to it, and the setup steps the journeys share."""

    def __init__(
        self, base: str, client: httpx.AsyncClient, services: Services, clock: FakeClock
    ) -> None:
        self.base = base
        self.client = client
        self.services = services
        self.clock = clock
        self._staff: dict[str, Headers] = {}

    async def citizen(self) -> Headers:
        code = f"sandbox-browser-{uuid.uuid4().hex[:8]}"
        response = await self.client.post("/api/v1/auth/wechat-login", json={"code": code})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    async def staff(self, username: str) -> Headers:
        if username not in self._staff:
            response = await self.client.post(
                "/api/v1/auth/staff-login", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._staff[username] = {"Authorization": f"Bearer {response.json()['token']}"}
        return self._staff[username]

    async def submit(
        self, citizen: Headers, code: str, situation: str = "new", *, courier: bool = False
    ) -> tuple[str, str]:
        """A citizen's application with every required material (real PNG scans); its id and
        number."""
        guide = (await self.client.get(f"/api/v1/services/{code}")).json()
        listed = next(s for s in guide["situations"] if s["id"] == situation)["materials"]
        materials = []
        for material in listed:
            if not material["required"]:
                continue
            response = await self.client.post(
                "/api/v1/files", files={"file": ("scan.png", png(), "image/png")}, headers=citizen
            )
            assert response.status_code == 201, response.text
            materials.append({"materialId": material["id"], "fileId": response.json()["fileId"]})
        delivery: dict[str, Any] = {"method": "pickup"}
        if courier:
            delivery = {"method": "courier", "address": ADDRESS}
        body = {
            "serviceCode": code,
            "situationId": situation,
            "form": {"申请人": "李四", "身份证号": "330106199001011234"},
            "materials": materials,
            "delivery": delivery,
        }
        response = await self.client.post("/api/v1/applications", json=body, headers=citizen)
        assert response.status_code == 201, response.text
        return response.json()["id"], response.json()["number"]

    async def act(self, username: str, app_id: str, action: str, body: Any = None) -> Any:
        """A staff command through the JSON API (the steps a journey does not look at)."""
        response = await self.client.post(
            f"/api/v1/admin/applications/{app_id}/{action}",
            json=body,
            headers=await self.staff(username),
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def settle(self) -> None:
        """Every read model has applied every event written so far."""
        async with self.services.pool.acquire() as conn:
            top = await self.services.recorder.max_notification_id(conn)
        for projection in self.services.runner.projections:
            # under a loaded CI machine a wait may time out: wait again, up to half a minute
            for _ in range(15):
                if await wait_for_position(self.services, top, projection.name):
                    break
            else:
                raise AssertionError(f"{projection.name} did not reach {top}")

    async def watch(self) -> None:
        """One pass of the deadline watcher, as the worker runs it, once the read models have
        every write so far (it finds the cases to warn in ``application_view``: a pass run
        before the acceptance was applied would rightly see no deadline yet)."""
        await self.settle()
        await watch(self.services)
        await self.settle()

    async def progress(self, citizen: Headers, app_id: str) -> dict[str, Any]:
        await self.settle()
        response = await self.client.get(f"/api/v1/applications/{app_id}", headers=citizen)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


async def eventually(check: Callable[[], Awaitable[Any]], what: str, within: float = 15) -> Any:
    """Poll ``check`` until it returns something truthy (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        found = await check()
        if found:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


# package scope: the server, its workers and Chromium stop when the browser tests are done,
# instead of running beside the rest of the suite
@pytest.fixture(scope="package")
async def site(
    server_url: str, demo_template: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    """The app on 127.0.0.1 in sandbox mode, its workers running (projections, courier
    bookings), the deadline watcher left to the tests."""
    async with scratch_database(server_url, demo_template) as url:
        settings = Settings(
            data_dir=Path(tmp_path_factory.mktemp("browser")),
            database_url=url,
            secret_key=SECRET,
            watch_interval_seconds=3600,
            courier=CourierSettings(push_token=PUSH_TOKEN, poll_seconds=0.3),
            # every journey signs in several times from 127.0.0.1
            rate_limits=RateLimits(login_per_ip=Rule(1000)),
        )
        clock = FakeClock()
        app = create_app(settings, demo=True, clock=clock)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            await eventually(lambda: asyncio.sleep(0, result=server.started), "uvicorn", 60)
            services: Services = app.state.services
            assert services.couriers is not None
            assert services.couriers.fake_sf is not None
            services.couriers.fake_sf.push_url = f"{base}/webhooks/courier/sf?token={PUSH_TOKEN}"
            async with httpx.AsyncClient(base_url=base, timeout=20) as client:
                yield Site(base, client, services, clock)
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 30)
            sock.close()


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium under Playwright; missing, it fails loudly (``make test`` installs
    it), never skips."""
    if not await asyncio.to_thread(CHROMIUM.exists) or shutil.which("fc-list") is None:
        pytest.fail(
            "the browser tests need Debian's Chromium and CJK fonts:"
            " apt-get install -y chromium fonts-noto-cjk (make test does it when root)"
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


class Pages:
    """Opens browser tabs (one context each: its own cookies) and watches for CSP violations
    and script errors in every one of them."""

    def __init__(self, browser: Any, site: Site) -> None:
        self.browser = browser
        self.site = site
        self.contexts: list[Any] = []
        self.problems: list[str] = []

    async def open(self, width: int = 1280, height: int = 860) -> Any:
        context = await self.browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", base_url=self.site.base
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.problems.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    async def login(self, username: str, *, width: int = 1280, height: int = 860) -> Any:
        """A new tab, signed in as ``username`` through the login form."""
        page = await self.open(width, height)
        await page.goto("/console/login")
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", DEMO_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(lambda url: "/console/login" not in url)
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest.fixture
async def pages(browser: Any, site: Site) -> AsyncIterator[Pages]:
    """Tabs for one test; it fails if any page broke the CSP or threw."""
    opened = Pages(browser, site)
    yield opened
    await opened.close()
    assert opened.problems == []


async def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Write ``docs/console/<name>.png`` when screenshots are asked for."""
    if not SHOTS:
        return
    target = Path(SHOTS)
    await asyncio.to_thread(target.mkdir, parents=True, exist_ok=True)
    await page.screenshot(path=str(target / f"{name}.png"), full_page=full_page)
