"""Several API processes and projection workers on one database, one worker killed mid-run."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from backend.bootstrap import projections
from backend.eventstore import KeyRing, Recorder, build_mapper, decoder
from projections.runner import ProjectionRunner
from tests.e2e.conftest import DEMO_PASSWORD, PNG

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "GF-00301-000"  # one stage, no fee, pickup
CLERK = "hrss-clerk"
APPLICATIONS = 60
SECRET = "scale-out-test-secret-key-of-enough-length"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ONEWINDOW_DATABASE_URL=db_url,
        ONEWINDOW_DATA_DIR=str(data_dir),
        ONEWINDOW_SECRET_KEY=SECRET,
        ONEWINDOW_PROJECTION_WAIT_SECONDS="5",
        # these runs load the API from one address on purpose: rate limits are tested elsewhere
        ONEWINDOW_RATE_LIMIT_LOGIN_PER_IP="100000/60",
        ONEWINDOW_RATE_LIMIT_LOGIN_PER_USERNAME="100000/60",
        ONEWINDOW_RATE_LIMIT_CREATE_PER_CITIZEN="100000/60",
    )
    env.update(extra)
    return env


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-m", "backend.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def cluster(db_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Two API processes without workers, and two worker processes."""
    env = _env(db_url, tmp_path)
    setup = subprocess.run(
        [sys.executable, "-m", "backend.cli", "catalog", "load", "backend/demo/catalog.json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    items = len(json.loads((ROOT / "backend/demo/catalog.json").read_text())["services"])
    assert f"published: {items}".encode() in setup.stdout
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "backend.cli",
            "staff",
            "create",
            "--username",
            CLERK,
            "--password",
            DEMO_PASSWORD,
            "--role",
            "clerk",
            "--department",
            "市人力资源和社会保障局",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    ports = [_free_port(), _free_port()]
    # every simulated citizen logs in from 127.0.0.1: no per-address login limit here
    api_env = _env(
        db_url, tmp_path, ONEWINDOW_RUN_WORKERS="0", ONEWINDOW_RATE_LIMIT_LOGIN_PER_IP="0"
    )
    apis = [_cli("serve", "--port", str(port), env=api_env) for port in ports]
    workers = [_cli("worker", env=env) for _ in range(2)]
    try:
        yield {"ports": ports, "apis": apis, "workers": workers}
    finally:
        for process in apis + workers:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in apis + workers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


async def _wait_ready(port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(f"API on port {port} did not start")


async def _journey(client: httpx.AsyncClient, name: str, clerk: dict[str, str]) -> str:
    login = await client.post("/api/v1/auth/wechat-login", json={"code": f"sandbox-{name}"})
    citizen = {"Authorization": f"Bearer {login.json()['token']}"}
    materials = []
    for material_id in ("id-card", "social-security-card", "termination-proof"):
        uploaded = await client.post(
            "/api/v1/files", files={"file": ("proof.png", PNG, "image/png")}, headers=citizen
        )
        assert uploaded.status_code == 201, uploaded.text
        materials.append({"materialId": material_id, "fileId": uploaded.json()["fileId"]})
    body = {
        "serviceCode": SERVICE,
        "situationId": "self",
        "materials": materials,
        "delivery": {"method": "pickup"},
    }
    submitted = await client.post("/api/v1/applications", json=body, headers=citizen)
    assert submitted.status_code == 201, submitted.text
    app_id: str = submitted.json()["id"]
    accepted = await client.post(f"/api/v1/admin/applications/{app_id}/accept", headers=clerk)
    assert accepted.status_code == 200, accepted.text
    return app_id


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(db_url)
    yield connection
    await connection.close()


async def _leader_pid(conn: asyncpg.Connection) -> int:
    """The OS process holding the projections' advisory locks (from its application_name)."""
    async with asyncio.timeout(20):
        while True:
            names = await conn.fetch(
                "SELECT DISTINCT a.application_name FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted"
                " AND ((l.classid::bigint << 32) | l.objid::bigint)"
                "     = hashtextextended('onewindow-projection:progress', 0)"
            )
            if len(names) == 1:
                return int(names[0][0].removeprefix("onewindow-"))
            await asyncio.sleep(0.1)


async def _caught_up(conn: asyncpg.Connection) -> None:
    async with asyncio.timeout(30):
        while True:
            head = await conn.fetchval(
                "SELECT coalesce(max(notification_id), 0) FROM onewindow_events"
            )
            behind = await conn.fetchval(
                "SELECT count(*) FROM projection_tracking WHERE position < $1", head
            )
            names = await conn.fetchval("SELECT count(*) FROM projection_tracking")
            if behind == 0 and names == len(projections()):
                return
            await asyncio.sleep(0.1)


async def test_two_apis_and_two_workers_survive_a_killed_worker_without_loss_or_double_apply(
    cluster: dict[str, Any], conn: asyncpg.Connection, db_url: str
) -> None:
    ports: list[int] = cluster["ports"]
    await asyncio.gather(*(_wait_ready(port) for port in ports))
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=30) for p in ports]
    try:
        # the real server tells nobody what it runs on
        health = await clients[0].get("/health")
        assert "server" not in health.headers, health.headers
        assert health.headers["x-content-type-options"] == "nosniff"
        login = await clients[0].post(
            "/api/v1/auth/staff-login", json={"username": CLERK, "password": DEMO_PASSWORD}
        )
        clerk = {"Authorization": f"Bearer {login.json()['token']}"}

        async def load(first: int, count: int) -> list[str]:
            return list(
                await asyncio.gather(
                    *(
                        _journey(clients[i % 2], f"scale{i}", clerk)
                        for i in range(first, first + count)
                    )
                )
            )

        ids = await load(0, APPLICATIONS // 2)
        # kill -9 the worker that leads the projections while the load goes on
        leader = await _leader_pid(conn)
        victim: subprocess.Popen[bytes] = next(w for w in cluster["workers"] if w.pid == leader)
        survivor = next(w for w in cluster["workers"] if w is not victim)
        killer = asyncio.get_running_loop().call_later(0.2, victim.kill)
        ids += await load(APPLICATIONS // 2, APPLICATIONS // 2)
        killer.cancel()
        if victim.poll() is None:
            victim.kill()
        victim.wait(timeout=10)
        assert survivor.poll() is None, "the surviving worker must still run"
        await _caught_up(conn)
        assert await _leader_pid(conn) == survivor.pid, "the survivor took the projections over"
    finally:
        for client in clients:
            await client.aclose()

    rows = await conn.fetch(
        "SELECT id::text, status, version, json_array_length(detail->'timeline') AS steps"
        " FROM application_view ORDER BY id"
    )
    assert sorted(r["id"] for r in rows) == sorted(ids)
    # each application: Submitted + Accepted, each applied once (two timeline entries)
    assert {(r["status"], r["version"], r["steps"]) for r in rows} == {("accepted", 2, 2)}

    # the read model equals a rebuild from zero
    before = await conn.fetch("SELECT * FROM application_view ORDER BY id")
    for process in cluster["workers"]:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    from backend.db import connect_pool

    pool = await connect_pool(db_url, min_size=1, max_size=4)
    try:
        runner = ProjectionRunner(
            pool, Recorder(), decoder(build_mapper(KeyRing(SECRET))), projections()
        )
        await runner.rebuild(runner.projection("progress"))
    finally:
        await pool.close()
    after = await conn.fetch("SELECT * FROM application_view ORDER BY id")
    assert [dict(r) for r in after] == [dict(r) for r in before]
