"""The progress query over HTTP against the bare SQL it runs, and /health against a bare app.

The real server (``python -m backend.cli serve``: uvicorn with httptools and uvloop, one
worker, Litestar) runs as a subprocess on 127.0.0.1 with its projection worker. A citizen logs
in (sandbox WeChat) and submits one application; then ``wrk`` (64 keep-alive connections, two
threads, C: it leaves the server the CPU a Python client would take) GETs
``/api/v1/applications/{id}`` for a fixed time, then ``/health``; then ``/health`` of
``bench/bare_app.py`` (a Litestar app returning a small constant dict) on the same server
stack: the framework's own ceiling. The SQL ceiling: 64 asyncio tasks running ``SELECT detail
FROM application_view WHERE id = $1`` through a bare asyncpg pool (20 connections, as the
server's pool; no JSON decoding).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import asyncpg
import httpx
import msgspec

from bench import wrk
from bench.commands import prepare, submission
from bench.common import SECRET_KEY, CpuMeter, Recorded, Window, process_cpu_seconds

__all__ = [
    "HttpResult",
    "Measured",
    "one_application",
    "run_bare",
    "run_http",
    "serve",
    "serve_bare_app",
    "time_wrk",
    "wait_until_up",
]

ROOT = Path(__file__).resolve().parents[1]
POOL_SIZE = 20  # the server's pool (backend.db.connect_pool)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(
    url: str, data_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """The API server as a subprocess; yields its base URL and pid, stops it afterwards."""
    port = _free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": url,
        "ONEWINDOW_DATA_DIR": str(data_dir),
        "ONEWINDOW_SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    with (data_dir / "server.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}", process.pid
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


async def wait_until_up(client: httpx.AsyncClient, within: float = 60.0) -> None:
    deadline = time.perf_counter() + within
    while True:
        with contextlib.suppress(httpx.TransportError):
            if (await client.get("/health")).status_code == 200:
                return
        if time.perf_counter() > deadline:
            raise RuntimeError("the API server did not start; see server.log in the data dir")
        await asyncio.sleep(0.2)


async def one_application(client: httpx.AsyncClient, url: str) -> tuple[str, dict[str, str]]:
    """Log a citizen in, give them a file, submit; return the id once the view has it."""
    login = await client.post("/api/v1/auth/wechat-login", json={"code": "sandbox-bench"})
    login.raise_for_status()
    body = login.json()
    headers = {"Authorization": f"Bearer {body['token']}"}
    file_id = uuid.uuid4()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO files (id, owner_id, sha256, size, content_type)"
            " VALUES ($1, $2, $3, $4, $5)",
            file_id,
            UUID(body["citizenId"]),
            "0" * 64,
            1024,
            "application/pdf",
        )
    finally:
        await conn.close()
    submitted = await client.post(
        "/api/v1/applications/",
        content=msgspec.json.encode(submission(file_id)),
        headers={**headers, "Content-Type": "application/json"},
    )
    submitted.raise_for_status()
    answer = submitted.json()
    app_id: str = answer["id"]
    for _ in range(20):  # the server's projection worker makes the view (read your writes)
        seen = await client.get(
            f"/api/v1/applications/{app_id}", params={"after": answer["position"]}, headers=headers
        )
        if seen.status_code == 200:
            return app_id, headers
    seen.raise_for_status()
    raise RuntimeError(f"the application never showed: HTTP {seen.status_code}")


@contextlib.contextmanager
def serve_bare_app(data_dir: Path) -> Iterator[tuple[str, int]]:
    """bench/bare_app.py on the same server stack as ours (uvicorn, httptools, uvloop)."""
    port = _free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "bare_app.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "bench.bare_app",
                str(port),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}", process.pid
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@dataclass
class Measured:
    """One wrk run and the CPU it cost: the server process, PostgreSQL, this process."""

    result: wrk.WrkResult
    cpu: dict[str, float]


async def time_wrk(
    base_url: str,
    path: str,
    pid: int,
    meter: CpuMeter,
    *,
    connections: int,
    warmup: float,
    duration: float,
    headers: dict[str, str] | None = None,
) -> Measured:
    if warmup:
        await asyncio.to_thread(
            wrk.run, base_url + path, connections=connections, seconds=warmup, headers=headers
        )
    started, server0 = meter.start(), process_cpu_seconds(pid)
    result = await asyncio.to_thread(
        wrk.run, base_url + path, connections=connections, seconds=duration, headers=headers
    )
    cpu = meter.stop(started)
    cpu["server_cpu_s"] = round(process_cpu_seconds(pid) - server0, 3)
    return Measured(result, cpu)


@dataclass
class HttpResult:
    """wrk against our progress query and /health, and against a bare Litestar app."""

    progress: Measured
    health: Measured
    bare_app: Measured
    application_id: str


async def run_http(
    url: str,
    data_dir: Path,
    meter: CpuMeter,
    *,
    connections: int,
    warmup: float,
    duration: float,
) -> HttpResult:
    """wrk on ``GET /api/v1/applications/{id}`` and ``GET /health`` of the real server, then on
    the bare Litestar app's ``/health`` (each after its own warm-up run)."""
    await prepare(url, data_dir)
    with serve(url, data_dir / "server") as (base_url, pid):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            await wait_until_up(client)
            app_id, headers = await one_application(client, url)
        path = f"/api/v1/applications/{app_id}"
        progress = await time_wrk(
            base_url,
            path,
            pid,
            meter,
            headers=headers,
            connections=connections,
            warmup=warmup,
            duration=duration,
        )
        health = await time_wrk(
            base_url,
            "/health",
            pid,
            meter,
            connections=connections,
            warmup=warmup,
            duration=duration,
        )
    with serve_bare_app(data_dir / "bare") as (base_url, pid):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            await wait_until_up(client)
        bare_app = await time_wrk(
            base_url,
            "/health",
            pid,
            meter,
            connections=connections,
            warmup=warmup,
            duration=duration,
        )
    return HttpResult(progress, health, bare_app, app_id)


async def run_bare(
    url: str, app_id: str, meter: CpuMeter, *, clients: int, warmup: float, duration: float
) -> tuple[Recorded, dict[str, float]]:
    """The same read as bare SQL through asyncpg, at the same concurrency."""
    pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE)
    assert pool is not None
    key = UUID(app_id)
    recorded = Recorded(Window.after(warmup, duration))

    async def loop() -> None:
        while recorded.window.open():
            started = time.perf_counter()
            detail = await pool.fetchval("SELECT detail FROM application_view WHERE id = $1", key)
            if detail is None:
                recorded.error(LookupError("no row"))
                continue
            recorded.add("get", started, time.perf_counter())

    try:
        started = meter.start()
        await asyncio.gather(*(loop() for _ in range(clients)))
        cpu = meter.stop(started)
    finally:
        await pool.close()
    return recorded, cpu
