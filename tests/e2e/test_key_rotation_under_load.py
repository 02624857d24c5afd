"""Rotating the secret key while real API processes serve a load: during the roll one process
still signs with the old key and another with the new one, ``onewindow keys rotate`` re-wraps
the citizens' data keys from a third process, and no request fails; afterwards the new key
alone reads every citizen's personal data, and tokens of the retired key are refused."""

from __future__ import annotations

import asyncio
import itertools
import random
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from backend.secret_keys import key_id
from bench.processes import free_port, onewindow_env, start, stop, wait_healthy
from tests.e2e.conftest import DEMO_PASSWORD, PNG

pytestmark = pytest.mark.slow

OLD = "load-rotation-old-secret-key-0123456789"
NEW = "load-rotation-new-secret-key-0123456789"
SERVICE = "GF-00301-000"  # 失业保险金申领: certificates and one upload, pickup
REASON = {"reason": "核对申请人信息"}
_names = itertools.count(1)


@dataclass
class Case:
    """A citizen's application and what its form says."""

    app_id: str
    citizen: dict[str, str]
    form: dict[str, str]
    position: int


@dataclass
class Load:
    """Mixed requests across the API processes in ``targets``; every failure is kept."""

    targets: list[httpx.AsyncClient]
    cases: list[Case]
    supervisors: list[dict[str, str]]
    failures: list[str] = field(default_factory=list)
    done: Counter[str] = field(default_factory=Counter)
    busy: Counter[int] = field(default_factory=Counter)  # requests under way, per process

    def _check(self, kind: str, response: httpx.Response, *ok: int) -> bool:
        if response.status_code not in ok:
            self.failures.append(f"{kind}: {response.status_code} {response.text[:300]}")
            return False
        self.done[kind] += 1
        return True

    async def one(self, http: httpx.AsyncClient, kind: str) -> None:
        if kind == "submit":
            case = await submit(http)
            if isinstance(case, str):
                self.failures.append(case)
            else:
                self.cases.append(case)
                self.done[kind] += 1
        elif kind == "history":
            case = random.choice(self.cases)
            response = await http.get(
                f"/api/v1/admin/applications/{case.app_id}/history",
                params=REASON,
                headers=random.choice(self.supervisors),
            )
            if self._check(kind, response, 200) and response.json()[0]["data"]["form"] != case.form:
                self.failures.append(f"history of {case.app_id}: the form reads differently")
        elif kind == "progress":
            case = random.choice(self.cases)
            path = f"/api/v1/applications/{case.app_id}?after={case.position}"
            self._check(kind, await http.get(path, headers=case.citizen), 200)
        else:
            body = {"username": "supervisor", "password": DEMO_PASSWORD}
            self._check(kind, await http.post("/api/v1/auth/staff-login", json=body), 200)

    async def run(self, stop: asyncio.Event, worker: int) -> None:
        kinds = itertools.cycle(["submit", "history", "progress", "history", "login", "progress"])
        for turn in itertools.count(worker):
            if stop.is_set():
                return
            http = self.targets[turn % len(self.targets)]
            self.busy[id(http)] += 1
            try:
                await self.one(http, next(kinds))
            except httpx.HTTPError as exc:
                self.failures.append(f"transport: {exc!r}")
            finally:
                self.busy[id(http)] -= 1

    async def drain(self, http: httpx.AsyncClient) -> None:
        """Send no more to ``http`` and wait for what is under way (as a load balancer does)."""
        self.targets.remove(http)
        async with asyncio.timeout(60):
            while self.busy[id(http)]:  # noqa: ASYNC110 - a counter, polled briefly
                await asyncio.sleep(0.05)


async def submit(http: httpx.AsyncClient) -> Case | str:
    """A new citizen logs in, uploads a scan and applies with personal data in the form."""
    name = f"rot{next(_names)}"
    login = await http.post("/api/v1/auth/wechat-login", json={"code": f"sandbox-{name}"})
    if login.status_code != 200:
        return f"wechat-login: {login.status_code} {login.text[:300]}"
    citizen = {"Authorization": f"Bearer {login.json()['token']}"}
    files: list[str] = []
    for _ in range(3):  # a scan of each material
        uploaded = await http.post(
            "/api/v1/files", files={"file": ("proof.png", PNG, "image/png")}, headers=citizen
        )
        if uploaded.status_code != 201:
            return f"upload: {uploaded.status_code} {uploaded.text[:300]}"
        files.append(uploaded.json()["fileId"])
    form = {"name": f"王{name}", "phone": "13800138000", "idNumber": "110101199003078515"}
    body = {
        "serviceCode": SERVICE,
        "situationId": "self",
        "form": form,
        "materials": [
            {"materialId": "id-card", "fileId": files[0]},
            {"materialId": "social-security-card", "fileId": files[1]},
            {"materialId": "termination-proof", "fileId": files[2]},
        ],
        "delivery": {"method": "pickup"},
    }
    submitted = await http.post("/api/v1/applications", json=body, headers=citizen)
    if submitted.status_code != 201:
        return f"submit: {submitted.status_code} {submitted.text[:300]}"
    answer: dict[str, Any] = submitted.json()
    return Case(answer["id"], citizen, form, answer["position"])


async def supervisor(http: httpx.AsyncClient) -> dict[str, str]:
    body = {"username": "supervisor", "password": DEMO_PASSWORD}
    response = await http.post("/api/v1/auth/staff-login", json=body)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


class Servers:
    """API processes on one database and data dir, each with its own keys."""

    def __init__(self, db_url: str, data_dir: Path) -> None:
        self.db_url, self.data_dir = db_url, data_dir
        self.running: dict[int, subprocess.Popen[bytes]] = {}

    def env(self, current: str, *accepted: str) -> dict[str, str]:
        return onewindow_env(
            self.db_url,
            self.data_dir,
            current,
            ONEWINDOW_ACCEPTED_SECRET_KEYS=",".join(accepted),
            ONEWINDOW_PROJECTION_WAIT_SECONDS="10",
        )

    async def serve(self, current: str, *accepted: str) -> httpx.AsyncClient:
        port = free_port()
        process = start("serve", "--port", str(port), env=self.env(current, *accepted))
        self.running[port] = process
        await asyncio.to_thread(wait_healthy, port, process)
        return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60)

    async def stop(self, http: httpx.AsyncClient) -> None:
        await http.aclose()
        port = http.base_url.port
        assert port is not None
        await asyncio.to_thread(stop, self.running.pop(port))

    async def rotate(self) -> str:
        command = ("keys", "rotate", "--batch-size", "2", "--pause", "0.1")
        process = start(*command, env=self.env(NEW, OLD), log=subprocess.PIPE)
        out, _ = await asyncio.to_thread(process.communicate, timeout=120)
        assert process.returncode == 0, out.decode()
        return out.decode()

    def close(self) -> None:
        for process in self.running.values():
            stop(process)


@pytest.fixture
def servers(db_url: str, tmp_path: Path) -> Iterator[Servers]:
    cluster = Servers(db_url, tmp_path)
    try:
        yield cluster
    finally:
        cluster.close()


async def test_rotating_the_secret_key_under_load_fails_no_request_and_loses_no_data(
    servers: Servers, pool: asyncpg.Pool
) -> None:
    # before: one key, citizens' data keys under it (half of them from before key ids)
    first = await servers.serve(OLD)
    cases = [case for case in [await submit(first) for _ in range(10)] if isinstance(case, Case)]
    assert len(cases) == 10
    old_supervisor = await supervisor(first)
    await servers.stop(first)
    await pool.execute(
        "UPDATE citizen_keys SET kek_id = NULL WHERE citizen_id IN"
        " (SELECT citizen_id FROM citizen_keys ORDER BY citizen_id LIMIT 5)"
    )

    # the roll: one process already signs with the new key, one still with the old one
    behind = await servers.serve(OLD, NEW)
    ahead = await servers.serve(NEW, OLD)
    load = Load([behind, ahead], cases, [old_supervisor, await supervisor(ahead)])
    stop = asyncio.Event()
    workers = [asyncio.create_task(load.run(stop, n)) for n in range(4)]
    try:
        await asyncio.sleep(2)
        first_run = await servers.rotate()
        await load.drain(behind)  # the roll completes: every process has the new key
        await servers.stop(behind)
        second_run = await servers.rotate()  # what the old process wrapped meanwhile
        await asyncio.sleep(1)
    finally:
        stop.set()
        await asyncio.gather(*workers)
    assert load.failures == [], load.failures[:10]
    assert min(load.done[k] for k in ("submit", "history", "progress", "login")) > 0, load.done
    assert "data keys re-wrapped" in first_run
    assert "data keys re-wrapped" in second_run
    await servers.stop(ahead)

    left = await pool.fetchval(
        "SELECT count(*) FROM citizen_keys WHERE wrapped_key IS NOT NULL"
        " AND kek_id IS DISTINCT FROM $1",
        key_id(NEW),
    )
    assert left == 0, "every data key is under the new secret key"

    # the old key retired: the new one alone reads every citizen's data
    last = await servers.serve(NEW)
    try:
        now_supervisor = await supervisor(last)
        for case in load.cases:
            history = await last.get(
                f"/api/v1/admin/applications/{case.app_id}/history",
                params=REASON,
                headers=now_supervisor,
            )
            assert history.status_code == 200, history.text
            assert history.json()[0]["data"]["form"] == case.form
        refused = await last.get("/api/v1/admin/stuck-cases", headers=old_supervisor)
        assert refused.status_code == 401
        assert "密钥已停用" in refused.json()["detail"]
    finally:
        await servers.stop(last)
